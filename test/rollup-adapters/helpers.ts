/** Shared helpers of the rollup adapter tests: slices, an in-memory source, executor wrappers. */
import { createHash } from 'node:crypto'
import type { Commitment, ExecutorLeaf, RollupExecutor, RollupRunner, VerifiedSlice } from '../../src/rollup-adapters/index.js'

export const CHAIN = 'test-chain'

let txCounter = 0

export function leaf (payload: Uint8Array, sender: Uint8Array = new Uint8Array(32).fill(7), actionIndex = 0): ExecutorLeaf {
  const txHash = createHash('sha256').update(`tx-${txCounter++}`).digest()
  return { txHash: new Uint8Array(txHash), actionIndex, actionCount: actionIndex + 1, sender, payload }
}

export function makeSlice (rollupId: number, height: number, payloads: Array<Uint8Array | ExecutorLeaf> = []): VerifiedSlice {
  const batchHash = new Uint8Array(createHash('sha256').update(`batch-${height}`).digest())
  return {
    rollupId,
    height,
    batchHash,
    timestamp: 1_700_000_000_000 + height,
    txs: payloads.map((p) => p instanceof Uint8Array ? leaf(p) : p)
  }
}

/**
 * A SliceSource over slices appended by the test. next() waits (no polling) until the
 * height is there. Records every request and the most concurrent ones.
 */
export class MemorySliceSource {
  readonly slices: VerifiedSlice[] = []
  readonly asked: number[] = []
  outstanding = 0
  maxOutstanding = 0
  onAsk: ((height: number) => void) | null = null
  readonly #waiters = new Set<() => void>()

  constructor (readonly rollupId: number, slices: VerifiedSlice[] = []) {
    for (const s of slices) this.push(s)
  }

  push (slice: VerifiedSlice): void {
    if (slice.height !== this.slices.length) throw new Error(`slice ${slice.height} pushed out of order`)
    this.slices.push(slice)
    for (const w of [...this.#waiters]) w()
  }

  finalHeight (): number {
    return this.slices.length - 1
  }

  async next (height: number, signal: AbortSignal): Promise<VerifiedSlice> {
    this.asked.push(height)
    this.onAsk?.(height)
    this.outstanding++
    this.maxOutstanding = Math.max(this.maxOutstanding, this.outstanding)
    try {
      while (this.slices[height] === undefined) {
        signal.throwIfAborted()
        await new Promise<void>((resolve, reject) => {
          const wake = (): void => { cleanup(); resolve() }
          const abort = (): void => { cleanup(); reject(signal.reason) }
          const cleanup = (): void => { this.#waiters.delete(wake); signal.removeEventListener('abort', abort) }
          this.#waiters.add(wake)
          signal.addEventListener('abort', abort, { once: true })
        })
      }
      return this.slices[height]!
    } finally {
      this.outstanding--
    }
  }
}

export interface WrapHooks {
  /** runs before the inner executeSlice; throwing here means nothing was persisted */
  before?: (slice: VerifiedSlice) => Promise<void> | void
  /** runs after the inner executeSlice persisted; throwing here simulates a crash after the write */
  after?: (slice: VerifiedSlice, commitment: Commitment) => Promise<void> | void
}

/**
 * Wraps an executor to inject failures and to count, per height, how many times a height
 * was durably executed (the inner executeSlice resolved). Pass one `persisted` map to
 * several wrappers to count across "process" restarts.
 */
export class WrappedExecutor implements RollupExecutor {
  readonly rollupId: number
  opens = 0
  attempts = 0

  constructor (readonly inner: RollupExecutor, readonly hooks: WrapHooks = {}, readonly persisted = new Map<number, number>()) {
    this.rollupId = inner.rollupId
  }

  async open (): Promise<Commitment> {
    this.opens++
    return await this.inner.open()
  }

  async executeSlice (slice: VerifiedSlice): Promise<Commitment> {
    this.attempts++
    await this.hooks.before?.(slice)
    const commitment = await this.inner.executeSlice(slice)
    this.persisted.set(slice.height, (this.persisted.get(slice.height) ?? 0) + 1)
    await this.hooks.after?.(slice, commitment)
    return commitment
  }

  async close (): Promise<void> {
    await this.inner.close()
  }
}

/** Resolves once the runner has executed `height` (or rejects after timeoutMs). */
export async function waitForHeight (runner: RollupRunner, height: number, timeoutMs = 5000): Promise<Commitment> {
  const reached = (): Commitment | null => {
    try {
      const c = runner.commitment()
      return c.height >= height ? c : null
    } catch {
      return null
    }
  }
  const now = reached()
  if (now !== null) return now
  return await new Promise((resolve, reject) => {
    const timer = setTimeout(() => { off(); reject(new Error(`runner did not reach height ${height} in ${timeoutMs} ms (at ${runner.status().height}, ${runner.status().lastError ?? 'no error'})`)) }, timeoutMs)
    const off = runner.onCommit((c) => { if (c.height >= height) { clearTimeout(timer); off(); resolve(c) } })
  })
}

export function hex (bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex')
}

export function delay (ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** Collects what a runner logs, to assert on failures. */
export class RecordingLogger {
  readonly records: Array<{ level: string, obj: object, msg: string }> = []
  debug (obj: object, msg: string): void { this.records.push({ level: 'debug', obj, msg }) }
  info (obj: object, msg: string): void { this.records.push({ level: 'info', obj, msg }) }
  warn (obj: object, msg: string): void { this.records.push({ level: 'warn', obj, msg }) }
  error (obj: object, msg: string): void { this.records.push({ level: 'error', obj, msg }) }
}
