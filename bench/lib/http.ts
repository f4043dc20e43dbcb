/**
 * A small keep-alive HTTP client on node:http for the load generator.
 *
 * `agentFetch(agent)` is a `FetchLike` for the SDK's `SequencerClient` (its `fetch`
 * option): the SDK builds, sends and checks every request as usual, only the transport is
 * node:http with one `http.Agent` per sender, so `--senders K` is exactly K keep-alive
 * connections and requests beyond one in flight per sender wait in the client (open loop:
 * that wait is part of the measured latency). The reply object carries what the SDK reads
 * (`status`, `headers.get`, `json`, `text`, `arrayBuffer`, `body.cancel`); building a
 * WHATWG Response per request costs more CPU than the request itself.
 */
import http from 'node:http'
import type { FetchLike } from '../../src/client/index.js'

export function keepAliveAgent (maxSockets: number): http.Agent {
  return new http.Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets, scheduling: 'fifo' })
}

interface RawReply { status: number, headers: http.IncomingHttpHeaders, body: Buffer }

export function rawRequest (agent: http.Agent, url: string, init: { method?: string, headers?: Record<string, string>, body?: Uint8Array | string, signal?: AbortSignal | null } = {}): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const u = new URL(url)
    const req = http.request({ host: u.hostname, port: u.port, path: u.pathname + u.search, method: init.method ?? 'GET', headers: init.headers, agent }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => {
        cleanup()
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks) })
      })
      res.on('error', (err) => { cleanup(); reject(err) })
    })
    const signal = init.signal ?? null
    const onAbort = (): void => { req.destroy(new Error('aborted')) }
    const cleanup = (): void => { signal?.removeEventListener('abort', onAbort) }
    if (signal !== null) {
      if (signal.aborted) { req.destroy(new Error('aborted')); reject(new Error('aborted')); return }
      signal.addEventListener('abort', onAbort, { once: true })
    }
    req.on('error', (err) => { cleanup(); reject(err) })
    const body = init.body
    if (body === undefined) req.end()
    else if (typeof body === 'string') req.end(body)
    else req.end(Buffer.from(body.buffer, body.byteOffset, body.byteLength))
  })
}

export function agentFetch (agent: http.Agent): FetchLike {
  return async (input, init = {}) => {
    const headers: Record<string, string> = {}
    if (init.headers !== undefined) {
      for (const [k, v] of Object.entries(init.headers as Record<string, string>)) headers[k] = v
    }
    const body = init.body as Uint8Array | string | undefined | null
    const reply = await rawRequest(agent, input, { method: init.method, headers, body: body ?? undefined, signal: init.signal })
    return lightResponse(reply) as unknown as Response
  }
}

function lightResponse (reply: RawReply): object {
  const text = (): string => reply.body.toString('utf8')
  return {
    status: reply.status,
    ok: reply.status >= 200 && reply.status < 300,
    headers: {
      get: (name: string): string | null => {
        const v = reply.headers[name.toLowerCase()]
        return v === undefined ? null : Array.isArray(v) ? v.join(', ') : v
      }
    },
    body: { cancel: async () => {} },
    json: async () => JSON.parse(text()) as unknown,
    text: async () => text(),
    arrayBuffer: async () => reply.body.buffer.slice(reply.body.byteOffset, reply.body.byteOffset + reply.body.byteLength)
  }
}
