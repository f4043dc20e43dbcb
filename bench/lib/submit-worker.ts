/**
 * A worker thread that posts txs for the bench (worker-target.ts): the HTTP client work of a
 * flooding rollup (thousands of requests a second, most of them refused) runs here, so the
 * main thread, which schedules every tx and times the other rollups' acks and slices, is not
 * held up by it. Like the main thread's senders: sender k has one keep-alive connection to
 * each member and posts to member k mod members (the main thread picks k).
 */
import { parentPort, workerData } from 'node:worker_threads'
import { SequencerApiError, SequencerClient } from '../../src/client/index.js'
import { agentFetch, keepAliveAgent } from './http.js'

export interface SubmitWorkerData {
  urls: string[]
  senders: number
  txBytes: Uint8Array[]
}
export interface SubmitRequest { i: number, k: number }
export interface SubmitReply { i: number, ok: boolean, code?: string }

const data = workerData as SubmitWorkerData
const clients = Array.from({ length: data.senders }, () => {
  const fetch = agentFetch(keepAliveAgent(1))
  return data.urls.map((url) => new SequencerClient({ url, fetch, requestTimeoutMs: 30_000 }))
})
parentPort!.on('message', (batch: SubmitRequest[]) => {
  for (const { i, k } of batch) {
    clients[k]![k % data.urls.length]!.submit(data.txBytes[i]!).then(
      () => { parentPort!.postMessage({ i, ok: true } satisfies SubmitReply) },
      (err: unknown) => { parentPort!.postMessage({ i, ok: false, code: err instanceof SequencerApiError ? err.code : 'CLIENT_ERROR' } satisfies SubmitReply) }
    )
  }
})
