import t from 'tap'
import type { Socket } from 'node:net'
import WebSocket from 'ws'
import { decode, encode, SliceSchema } from '../../src/codec/index.js'
import { createApiServer, type SliceJson } from '../../src/api/index.js'
import { FakeBackend } from './fake-backend.js'
import { startServer } from './helpers.js'

interface Teardown {
  teardown: (fn: () => unknown) => void
}

/** A ws client that queues every message so a test can await them one by one. */
class StreamClient {
  readonly ws: WebSocket
  private readonly queue: Array<WebSocket.RawData | string> = []
  private waiter: (() => void) | null = null
  readonly closed: Promise<{ code: number, reason: string }>

  constructor (t: Teardown, url: string) {
    this.ws = new WebSocket(url.replace(/^http/, 'ws'))
    t.teardown(() => { this.ws.terminate() })
    this.ws.on('message', (data, isBinary) => {
      this.queue.push(isBinary ? data : data.toString())
      this.waiter?.()
    })
    this.closed = new Promise((resolve) => {
      this.ws.on('close', (code, reason) => { resolve({ code, reason: reason.toString() }) })
    })
  }

  async opened (): Promise<void> {
    if (this.ws.readyState === WebSocket.OPEN) return
    await new Promise((resolve, reject) => { this.ws.once('open', resolve); this.ws.once('error', reject) })
  }

  async next (timeoutMs = 5000): Promise<WebSocket.RawData | string> {
    const deadline = Date.now() + timeoutMs
    while (this.queue.length === 0) {
      if (Date.now() > deadline) throw new Error('no message in time')
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 50)
        this.waiter = () => { clearTimeout(timer); resolve() }
      })
      this.waiter = null
    }
    return this.queue.shift()!
  }

  async nextJson (): Promise<SliceJson> {
    const data = await this.next()
    if (typeof data !== 'string') throw new Error('expected a text message')
    return JSON.parse(data) as SliceJson
  }

  async nextHeight (): Promise<number> {
    const data = await this.next()
    if (typeof data === 'string') throw new Error('expected a binary message')
    return decode(SliceSchema, new Uint8Array(data as Buffer)).header.height
  }

  get pending (): number {
    return this.queue.length
  }

  get socket (): Socket {
    return (this.ws as unknown as { _socket: Socket })._socket
  }
}

async function sleep (ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms))
}

t.test('JSON stream: from=H gives H, H+1, ... then follows new final heights', async (t) => {
  const { url, backend } = await startServer(t)
  const client = new StreamClient(t, `${url}/v1/rollups/alpha/stream?from=3`)
  for (let h = 3; h <= 9; h++) {
    const json = await client.nextJson()
    t.equal(json.height, h)
    t.equal(json.rollupId, 1)
  }
  backend.advance()
  const live = await client.nextJson()
  t.equal(live.height, 10, 'a newly final height arrives')
  t.same(live, await (await fetch(`${url}/v1/rollups/1/slices/10`)).json(), 'same JSON as the slice route')
  backend.advance()
  backend.advance()
  t.equal((await client.nextJson()).height, 11)
  t.equal((await client.nextJson()).height, 12)
  await sleep(50)
  t.equal(client.pending, 0, 'nothing beyond the final height')
})

t.test('msgpack stream sends encoded slices, empty ones included', async (t) => {
  const { url, backend } = await startServer(t)
  const client = new StreamClient(t, `${url}/v1/rollups/beta/stream?format=msgpack`)
  for (let h = 0; h <= 9; h++) {
    const data = await client.next()
    t.type(data, Buffer)
    const expected = (await backend.getSlice(7, h))!
    t.equal(Buffer.from(data as Buffer).toString('hex'), Buffer.from(encode(SliceSchema, expected.slice)).toString('hex'), `height ${h}`)
  }
})

t.test('bad parameters close with 1008', async (t) => {
  const { url } = await startServer(t)
  for (const path of ['alpha/stream?from=x', 'alpha/stream?from=-2', 'alpha/stream?format=xml', 'alpha/stream?heartbeat=2', 'nope/stream']) {
    const client = new StreamClient(t, `${url}/v1/rollups/${path}`)
    const { code, reason } = await client.closed
    t.equal(code, 1008, path)
    t.ok(reason.length > 0, `${path}: ${reason}`)
  }
  const plain = await fetch(`${url}/v1/rollups/alpha/stream`)
  t.equal(plain.status, 426, 'a plain GET is told to upgrade')
})

t.test('heartbeat=1: a typed heartbeat at once and every interval, slices typed too; none without it', async (t) => {
  const { url, backend } = await startServer(t, undefined, { limits: { streamHeartbeatMs: 100 } })
  const plain = new StreamClient(t, `${url}/v1/rollups/alpha/stream?from=9`)
  await plain.opened()
  const client = new StreamClient(t, `${url}/v1/rollups/alpha/stream?from=9&heartbeat=1`)
  const kinds: string[] = []
  const heartbeats: Array<Record<string, unknown>> = []
  while (heartbeats.length < 3) {
    const message = JSON.parse(String(await client.next())) as Record<string, unknown>
    kinds.push(String(message.kind))
    if (message.kind === 'heartbeat') heartbeats.push(message)
    else t.equal(message.height, 9, 'the one final slice, typed')
  }
  t.ok(kinds.includes('slice'), 'the slice came as kind slice')
  t.match(heartbeats[0], { kind: 'heartbeat', finalHeight: 9, intervalMs: 100, serverTime: Number }, 'heartbeat: final height, interval, clock')
  backend.advance()
  let live = JSON.parse(String(await client.next())) as Record<string, unknown>
  while (live.kind === 'heartbeat') live = JSON.parse(String(await client.next())) as Record<string, unknown>
  t.match(live, { kind: 'slice', height: 10 })
  // the other stream, open all along (3+ intervals): its slices only, untyped as before
  const old = [await plain.nextJson(), await plain.nextJson()]
  t.same(old.map((m) => [m.height, 'kind' in m]), [[9, false], [10, false]], 'without heartbeat=1: the slices as before')
  t.equal(plain.pending, 0, 'and no heartbeat')
})

t.test('a backend failure closes the stream with 1011', async (t) => {
  const { url, backend } = await startServer(t)
  backend.getSlice = async () => { throw new Error('store down') }
  const client = new StreamClient(t, `${url}/v1/rollups/alpha/stream`)
  t.equal((await client.closed).code, 1011)
  t.equal(backend.listeners.size, 0)
})

t.test('closing the socket unsubscribes from final notifications', async (t) => {
  const { url, backend } = await startServer(t)
  const a = new StreamClient(t, `${url}/v1/rollups/alpha/stream?from=9`)
  const b = new StreamClient(t, `${url}/v1/rollups/alpha/stream?from=9`)
  t.equal((await a.nextJson()).height, 9)
  t.equal((await b.nextJson()).height, 9)
  t.equal(backend.listeners.size, 2)
  a.ws.close()
  await a.closed
  await sleep(50)
  t.equal(backend.listeners.size, 1, 'the closed stream unsubscribed')
})

t.test('a paused reader holds the server to about the high-water mark, then resumes in order', async (t) => {
  const payloadBytes = 64 * 1024
  const highWaterBytes = 256 * 1024
  const lastHeight = 1499
  const backend = new FakeBackend({ finalHeight: lastHeight, leavesAt: () => 1, payloadBytes })
  const { url } = await startServer(t, backend, { streamHighWaterBytes: highWaterBytes })
  const client = new StreamClient(t, `${url}/v1/rollups/alpha/stream?format=msgpack`)
  await client.opened()
  client.socket.pause()

  // Wait until the server stops reading: the kernel buffers and the high-water mark are full.
  let calls = -1
  while (calls !== backend.getSliceCalls) {
    calls = backend.getSliceCalls
    await sleep(300)
  }
  const readAhead = calls * payloadBytes
  t.comment(`paused: server read ${calls} slices (~${(readAhead / 1048576).toFixed(1)} MiB) ahead of the reader`)
  t.ok(calls < 400, 'the server stops reading well before the end of the chain')
  t.ok(calls <= lastHeight, 'and never reads everything')

  client.socket.resume()
  for (let h = 0; h <= lastHeight; h++) {
    const height = await client.nextHeight()
    if (height !== h) {
      t.fail(`expected height ${h}, got ${height}`)
      break
    }
  }
  t.pass('every height arrived in order after resuming')
  backend.advance()
  t.equal(await client.nextHeight(), lastHeight + 1)
})

t.test('stop() ends streams even with a reader that never reads', async (t) => {
  const backend = new FakeBackend({ finalHeight: 2000, leavesAt: () => 1, payloadBytes: 64 * 1024 })
  const server = createApiServer({ backend, bodyLimitBytes: 1024, streamHighWaterBytes: 128 * 1024 })
  t.teardown(async () => { await server.stop() })
  const { url } = await server.start()
  const client = new StreamClient(t, `${url}/v1/rollups/alpha/stream?format=msgpack`)
  await client.opened()
  client.socket.pause()
  await sleep(300)
  const started = Date.now()
  await server.stop()
  await server.stop()
  t.ok(Date.now() - started < 3000, `stopped in ${Date.now() - started} ms`)
  await sleep(50)
  t.equal(backend.listeners.size, 0, 'the stream loop unsubscribed')
  const calls = backend.getSliceCalls
  await sleep(100)
  t.equal(backend.getSliceCalls, calls, 'and reads nothing more')
})
