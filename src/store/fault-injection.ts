/**
 * Store fault injection, for tests and dev runs only: makes the store's writes fail as a
 * full or failing disk would (ENOSPC, EIO), or wait first as a slow disk would, per write
 * path. A node turns it on with `store.faults` in its config; a test hands a `StoreFaults`
 * to `ChainStore.open` and flips it at run time (`fail`, `heal`, `slow`). A store without
 * one pays one null check per write. What the store does about a failed write is in
 * chain-store.ts and docs/PROTOCOL.md ("When a write fails").
 *
 * The write paths are what the store writes (docs/ARCHITECTURE.md, storage layout):
 * - `safety`: the consensus safety state, synced before a vote or proposal leaves;
 * - `final`: a final batch with its commit proof, hash and tx indexes and the new head;
 * - `rollupHeights`: the per-rollup height index of a final batch that has actions;
 * - `pending`: accepted blocks that are not final yet;
 * - `wal`: the mempool's write-ahead log (appends and removals).
 * The first four share one level batch when they are queued together, so a failure on any
 * of them fails the batch, as one full disk would.
 */
import { CodedError, sleep } from '../util/index.js'

export const STORE_WRITE_PATHS = ['safety', 'final', 'rollupHeights', 'pending', 'wal'] as const
export type StoreWritePath = typeof STORE_WRITE_PATHS[number]

export const INJECTABLE_FAULT_CODES = ['ENOSPC', 'EIO'] as const
export type InjectableFaultCode = typeof INJECTABLE_FAULT_CODES[number]

export interface StoreFaultOptions {
  /** paths whose writes fail */
  failPaths: StoreWritePath[]
  code: InjectableFaultCode
  /** matching writes that succeed before the first failure (to fail in the middle of a run) */
  failAfter: number
  /** matching writes that fail, after which the disk is back; null: until heal() */
  failCount: number | null
  /**
   * Every write of `delayPaths` waits this long before it goes to level (its fsync with it):
   * a slow disk, e.g. for a "slow member" scenario. 0: no delay.
   */
  delayMs: number
  delayPaths: StoreWritePath[]
}

export const defaultStoreFaultOptions: StoreFaultOptions = {
  failPaths: [],
  code: 'ENOSPC',
  failAfter: 0,
  failCount: null,
  delayMs: 0,
  delayPaths: [...STORE_WRITE_PATHS]
}

const MESSAGES: Record<InjectableFaultCode, string> = {
  ENOSPC: 'no space left on device',
  EIO: 'i/o error'
}

/** The error a failing write raises, shaped like Node's system errors (code, syscall). */
export class InjectedWriteError extends CodedError<InjectableFaultCode> {
  readonly syscall = 'write'
  constructor (code: InjectableFaultCode, readonly path: StoreWritePath) {
    super(code, `${code}: ${MESSAGES[code]}, write (injected on the ${path} path)`, { path })
    this.name = 'InjectedWriteError'
  }
}

export class StoreFaults {
  #options: StoreFaultOptions
  /** matching writes seen while failing is armed (counts towards failAfter / failCount) */
  #seen = 0
  /** writes failed on purpose so far */
  injected = 0
  /** writes waiting in the injected delay right now (a chaos runner SIGSTOPs the process while one is parked) */
  parked = 0

  constructor (options: Partial<StoreFaultOptions> = {}) {
    this.#options = { ...defaultStoreFaultOptions, ...options }
  }

  /** From now on, writes of `paths` fail with `code` (`count` times, or until heal()). */
  fail (paths: StoreWritePath[], code: InjectableFaultCode = 'ENOSPC', count: number | null = null): void {
    this.#options = { ...this.#options, failPaths: paths, code, failAfter: 0, failCount: count }
    this.#seen = 0
  }

  /** The disk is back: writes succeed again. */
  heal (): void {
    this.#options = { ...this.#options, failPaths: [] }
  }

  /** From now on, writes of `paths` wait `ms` first (0: no delay). */
  slow (ms: number, paths: StoreWritePath[] = [...STORE_WRITE_PATHS]): void {
    this.#options = { ...this.#options, delayMs: ms, delayPaths: paths }
  }

  get options (): Readonly<StoreFaultOptions> {
    return this.#options
  }

  /** Called by the store before each level write holding `paths`: waits, then throws if the write must fail. */
  async beforeWrite (paths: ReadonlySet<StoreWritePath>): Promise<void> {
    const { delayMs, delayPaths } = this.#options
    if (delayMs > 0 && delayPaths.some((p) => paths.has(p))) {
      this.parked++
      try {
        await sleep(delayMs)
      } finally {
        this.parked--
      }
    }
    const { failPaths, code, failAfter, failCount } = this.#options
    const path = failPaths.find((p) => paths.has(p))
    if (path === undefined) return
    const index = this.#seen++
    if (index < failAfter) return
    if (failCount !== null && index >= failAfter + failCount) return
    this.injected++
    throw new InjectedWriteError(code, path)
  }
}
