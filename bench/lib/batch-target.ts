/**
 * `--batch K`: the open loop's txs go to the members K at a time through
 * `POST /v1/txs/batch` (a msgpack array of encoded txs, one result per tx). Each sender
 * keeps one keep-alive connection with one request in flight; the txs that fall due
 * while it is busy wait in the client (open loop: that wait counts as latency) and leave
 * together in its next request, up to K. So at high rates the HTTP cost is per request,
 * not per tx, and the client is not what limits the committee.
 */
import type http from 'node:http'
import { encode } from '../../src/codec/index.js'
import { bytes, list } from '../../src/codec/schema.js'
import { rawRequest } from './http.js'
import type { SubmitOutcome, Target } from './open-loop.js'

const TxBatchSchema = list(bytes({}), { max: 4096 })

interface Waiting { i: number, done: (outcome: SubmitOutcome) => void }

interface Sender {
  url: string
  agent: http.Agent
  queue: Waiting[]
  busy: boolean
}

export function batchTarget (opts: { urls: string[], agents: http.Agent[], txBytes: Uint8Array[], batch: number, signal: AbortSignal }): Target {
  const senders: Sender[] = opts.agents.map((agent, k) => ({ url: `${opts.urls[k % opts.urls.length]!}/v1/txs/batch`, agent, queue: [], busy: false }))

  const flush = async (sender: Sender): Promise<void> => {
    sender.busy = true
    try {
      while (sender.queue.length > 0) {
        const group = sender.queue.splice(0, opts.batch)
        let outcomes: SubmitOutcome[]
        try {
          const body = encode(TxBatchSchema, group.map((w) => opts.txBytes[w.i]!))
          const reply = await rawRequest(sender.agent, sender.url, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body, signal: opts.signal })
          if (reply.status !== 200) {
            const code = (JSON.parse(reply.body.toString('utf8')) as { error?: { code?: string } }).error?.code ?? `HTTP_${reply.status}`
            outcomes = group.map(() => ({ ok: false, code }))
          } else {
            const { results } = JSON.parse(reply.body.toString('utf8')) as { results: Array<{ hash?: string, error?: { code: string } }> }
            outcomes = group.map((_w, j) => results[j]?.error === undefined ? { ok: true } : { ok: false, code: results[j]!.error!.code })
          }
        } catch {
          outcomes = group.map(() => ({ ok: false, code: 'CLIENT_ERROR' }))
        }
        group.forEach((w, j) => w.done(outcomes[j]!))
      }
    } finally {
      sender.busy = false
    }
  }

  return {
    submit: async (i) => await new Promise<SubmitOutcome>((resolve) => {
      const sender = senders[i % senders.length]!
      sender.queue.push({ i, done: resolve })
      // Everything due in this timer tick joins the same request.
      if (!sender.busy) { sender.busy = true; setImmediate(() => { void flush(sender) }) }
    })
  }
}
