/**
 * Drives one RollupExecutor: opens it, then executes heights commitment.height + 1, + 2,
 * ... in order, every height including empty ones, asking the source for one height at a
 * time (so a slow rollup holds back only itself: the node never buffers slices for it).
 *
 * The cursor is the executor's durable commitment, never a copy of our own: after any
 * failed executeSlice the executor is closed and opened again and the runner continues
 * from the commitment open() returns. So a height that did reach the disk before the
 * failure is not executed again, and one that did not is retried, with backoff, never
 * skipped. See docs/ROLLUPS.md for the exactly-once argument.
 */
import { bytesToHex } from '../crypto/index.js'
import { backoffDelay, sleep } from '../util/index.js'
import { RollupError, RollupErrorCode } from './errors.js'
import type { Commitment, RollupExecutor, RollupLogger, RollupMetrics, RollupStatus, RunnerPhase, SliceSource, VerifiedSlice } from './types.js'

export interface RollupRunnerOptions {
  /** first retry delay after a failure */
  initialBackoffMs: number
  /** the delay doubles per consecutive failure up to this */
  maxBackoffMs: number
}

export const defaultRollupRunnerOptions: RollupRunnerOptions = {
  initialBackoffMs: 100, // a transient failure (disk hiccup) clears fast
  maxBackoffMs: 10_000 // a persistent one is retried and logged every 10 s, not in a hot loop
}

export interface RollupRunnerDeps {
  executor: RollupExecutor
  source: SliceSource
  logger?: RollupLogger | null
  metrics?: RollupMetrics | null
  options?: Partial<RollupRunnerOptions>
}

type Stage = 'open' | 'source' | 'execute'

export class RollupRunner {
  readonly rollupId: number
  readonly #executor: RollupExecutor
  readonly #source: SliceSource
  readonly #logger: RollupLogger | null
  readonly #metrics: RollupMetrics | null
  readonly #options: RollupRunnerOptions
  readonly #labels: { rollup: string }
  readonly #listeners = new Set<(commitment: Commitment) => void>()
  #commitment: Commitment | null = null
  #executorOpen = false
  #phase: RunnerPhase = 'stopped'
  #failures = 0
  #lastError: string | null = null
  #abort: AbortController | null = null
  #loop: Promise<void> | null = null
  #stopping: Promise<void> | null = null

  constructor (deps: RollupRunnerDeps) {
    this.#executor = deps.executor
    this.#source = deps.source
    this.#logger = deps.logger ?? null
    this.#metrics = deps.metrics ?? null
    this.#options = { ...defaultRollupRunnerOptions, ...deps.options }
    this.rollupId = deps.executor.rollupId
    this.#labels = { rollup: String(this.rollupId) }
  }

  /** Opens the executor (a failure rejects and leaves nothing running), then runs in the background. */
  async start (): Promise<void> {
    if (this.#loop !== null) return
    this.#phase = 'opening'
    try {
      this.#commitment = await this.#executor.open()
    } catch (err) {
      this.#phase = 'stopped'
      this.#metrics?.failures.inc({ ...this.#labels, stage: 'open' })
      throw err
    }
    this.#executorOpen = true
    this.#metrics?.height.set(this.#labels, this.#commitment.height)
    this.#logger?.info({ rollup: this.rollupId, height: this.#commitment.height, stateRoot: bytesToHex(this.#commitment.stateRoot) }, 'rollup executor opened')
    const abort = new AbortController()
    this.#abort = abort
    this.#stopping = null
    this.#loop = this.#run(abort.signal)
  }

  /** Lets an executing height finish, stops, and closes the executor. Safe to call twice. */
  async stop (): Promise<void> {
    if (this.#stopping !== null) return await this.#stopping
    if (this.#loop === null) return
    this.#stopping = (async () => {
      this.#abort!.abort()
      await this.#loop
      this.#loop = null
      this.#abort = null
      await this.#closeExecutor()
      this.#phase = 'stopped'
    })()
    await this.#stopping
  }

  /** The executor's last durable commitment; throws before start(). */
  commitment (): Commitment {
    if (this.#commitment === null) throw new RollupError(RollupErrorCode.NOT_OPEN, `rollup ${this.rollupId} runner has not started`)
    return this.#commitment
  }

  status (): RollupStatus {
    const height = this.#commitment?.height ?? -1
    const finalHeight = this.#source.finalHeight?.() ?? null
    return {
      rollupId: this.rollupId,
      height,
      stateRoot: this.#commitment === null ? '' : bytesToHex(this.#commitment.stateRoot),
      finalHeight,
      lag: finalHeight === null ? null : Math.max(0, finalHeight - height),
      phase: this.#phase,
      failures: this.#failures,
      lastError: this.#lastError
    }
  }

  /** Called after each executed height with its commitment; returns an unsubscribe function. */
  onCommit (listener: (commitment: Commitment) => void): () => void {
    this.#listeners.add(listener)
    return () => { this.#listeners.delete(listener) }
  }

  async #run (signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      if (!this.#executorOpen) {
        this.#phase = 'opening'
        try {
          this.#commitment = await this.#executor.open()
          this.#executorOpen = true
          this.#logger?.info({ rollup: this.rollupId, height: this.#commitment.height }, 'rollup executor re-opened')
        } catch (err) {
          await this.#failed('open', err, signal)
          continue
        }
      }
      const height = this.#commitment!.height + 1
      this.#phase = 'waiting'
      let slice: VerifiedSlice
      try {
        slice = await this.#source.next(height, signal)
        if (slice.height !== height || slice.rollupId !== this.rollupId) {
          throw new RollupError(RollupErrorCode.SOURCE, `asked for rollup ${this.rollupId} height ${height}, got rollup ${slice.rollupId} height ${slice.height}`)
        }
      } catch (err) {
        if (signal.aborted) break
        await this.#failed('source', err, signal)
        continue
      }
      this.#phase = 'executing'
      const started = performance.now()
      let commitment: Commitment
      try {
        commitment = await this.#executor.executeSlice(slice)
        if (commitment.height !== height) throw new RollupError(RollupErrorCode.WRONG_SLICE, `executor returned height ${commitment.height} for height ${height}`)
      } catch (err) {
        // What reached the disk is unknown: re-open and continue from the durable commitment.
        await this.#closeExecutor()
        await this.#failed('execute', err, signal, height)
        continue
      }
      this.#commitment = commitment
      this.#failures = 0
      this.#lastError = null
      this.#metrics?.height.set(this.#labels, height)
      this.#metrics?.slicesExecuted.inc(this.#labels)
      if (slice.txs.length > 0) this.#metrics?.leavesExecuted.inc(this.#labels, slice.txs.length)
      this.#metrics?.executeSeconds.observe(this.#labels, (performance.now() - started) / 1000)
      this.#logger?.debug({ rollup: this.rollupId, height, txs: slice.txs.length }, 'rollup height executed')
      for (const listener of this.#listeners) {
        try {
          listener(commitment)
        } catch (err) {
          this.#logger?.warn({ rollup: this.rollupId, err }, 'a rollup commit listener threw')
        }
      }
    }
  }

  async #failed (stage: Stage, err: unknown, signal: AbortSignal, height?: number): Promise<void> {
    this.#failures++
    this.#lastError = `${stage}: ${err instanceof Error ? err.message : String(err)}`
    this.#phase = 'retrying'
    this.#metrics?.failures.inc({ ...this.#labels, stage })
    const delay = backoffDelay(this.#failures - 1, this.#options.initialBackoffMs, this.#options.maxBackoffMs)
    this.#logger?.error({ rollup: this.rollupId, stage, height, attempt: this.#failures, retryInMs: delay, err }, 'rollup step failed; retrying')
    await sleep(delay, signal)
  }

  async #closeExecutor (): Promise<void> {
    if (!this.#executorOpen) return
    this.#executorOpen = false
    try {
      await this.#executor.close()
    } catch (err) {
      this.#logger?.warn({ rollup: this.rollupId, err }, 'closing the rollup executor failed')
    }
  }
}
