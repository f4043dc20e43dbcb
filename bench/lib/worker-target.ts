/**
 * A Target whose submissions are posted by a worker thread (submit-worker.ts): the open loop
 * still schedules every tx on the main thread, but the HTTP exchanges of the txs routed here
 * cost the main thread one message each way. The flood scenario sends its flooding rollup
 * this way, so the generator's own event loop does not add the flood's client work to the
 * other rollups' measured latency (it did: client schedule lag p99 0.2 s -> 0.75 s). The
 * worker's CPU still counts in the client's CPU figures.
 */
import { Worker } from 'node:worker_threads'
import type { SubmitOutcome } from './open-loop.js'
import type { SubmitReply, SubmitRequest, SubmitWorkerData } from './submit-worker.js'

export interface WorkerTarget {
  /** posts tx i through sender k (its connection to member k mod members) */
  submit: (i: number, k: number) => Promise<SubmitOutcome>
  close: () => Promise<void>
}

export function workerTarget (data: SubmitWorkerData): WorkerTarget {
  // --import tsx does not reach worker threads on Node 20: the worker registers it, then loads the TypeScript
  const bootstrap = `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then(({ register }) => { register(); return import(${JSON.stringify(new URL('./submit-worker.ts', import.meta.url).href)}) })`
  const worker = new Worker(bootstrap, { eval: true, workerData: data })
  const waiting = new Map<number, (outcome: SubmitOutcome) => void>()
  let queued: SubmitRequest[] = []
  let failed: string | null = null
  worker.on('message', (reply: SubmitReply) => {
    const resolve = waiting.get(reply.i)
    waiting.delete(reply.i)
    resolve?.(reply.ok ? { ok: true } : { ok: false, code: reply.code ?? 'CLIENT_ERROR' })
  })
  worker.on('error', (err) => {
    failed = `WORKER_ERROR: ${err.message}`
    for (const resolve of waiting.values()) resolve({ ok: false, code: `WORKER_ERROR: ${err.message}` })
    waiting.clear()
  })
  return {
    submit: async (i, k) => await new Promise<SubmitOutcome>((resolve) => {
      if (failed !== null) { resolve({ ok: false, code: failed }); return }
      waiting.set(i, resolve)
      // the txs due in one turn of the open loop go in one message
      if (queued.length === 0) queueMicrotask(() => { worker.postMessage(queued); queued = [] })
      queued.push({ i, k })
    }),
    close: async () => { await worker.terminate() }
  }
}
