/**
 * Follows the status of watched txs for the long-poll wait route and the tx stream: a
 * registration hears every change of its tx's status (`GET /v1/txs/:hash`'s answer), in
 * order. Statuses are read again after every final batch (which settles txs: committed,
 * or dropped at inclusion) and every `pollMs` while anything is watched (proposed, and
 * drops that happen outside a batch, like expiry in the mempool). One pass at a time;
 * triggers during a pass fold into one more pass.
 */
import type { ApiBackend, TxStatus } from './types.js'

export type TxStatusListener = (status: TxStatus | null) => void

export interface TxWatchOptions {
  pollMs: number
}

export const defaultTxWatchOptions: TxWatchOptions = {
  /** pending -> proposed and mempool expiry show within this; a pass costs one status read per watched tx */
  pollMs: 250
}

interface Registration {
  listener: TxStatusListener
  /** the status last told to this listener, as JSON; null until watch() has read the first */
  last: string | null
}

interface Watched {
  hash: Uint8Array
  registrations: Set<Registration>
}

/** committed (final) or rejected (refused, or dropped with a reason): the status will not change again */
export function isSettled (status: TxStatus | null): boolean {
  return status !== null && (status.status === 'committed' || status.status === 'rejected')
}

export class TxWatcher {
  readonly #watched = new Map<string, Watched>()
  #unsubscribe: (() => void) | null = null
  #timer: ReturnType<typeof setInterval> | undefined
  #pass: Promise<void> | null = null
  #again = false
  #closed = false

  constructor (
    private readonly backend: Pick<ApiBackend, 'txStatus' | 'onFinal'>,
    private readonly options: TxWatchOptions = defaultTxWatchOptions
  ) {}

  /** registrations held (one per waiter, or per hash of a tx stream) */
  registrations = 0

  /**
   * Registers `listener` for later changes of the tx's status and resolves with the status
   * now. `stop()` ends the registration (safe to call twice).
   */
  async watch (hashHex: string, hash: Uint8Array, listener: TxStatusListener): Promise<{ status: TxStatus | null, stop: () => void }> {
    let watched = this.#watched.get(hashHex)
    if (watched === undefined) {
      watched = { hash, registrations: new Set() }
      this.#watched.set(hashHex, watched)
    }
    const registration: Registration = { listener, last: null }
    watched.registrations.add(registration)
    this.registrations++
    this.#follow()
    let stopped = false
    const stop = (): void => {
      if (stopped) return
      stopped = true
      this.registrations--
      watched.registrations.delete(registration)
      if (watched.registrations.size === 0 && this.#watched.get(hashHex) === watched) this.#watched.delete(hashHex)
      if (this.#watched.size === 0) this.#unfollow()
    }
    try {
      const status = await this.backend.txStatus(hash)
      // From here passes compare with this status (passes meanwhile skipped it: no older news after newer)
      registration.last = JSON.stringify(status)
      return { status, stop }
    } catch (err) {
      stop()
      throw err
    }
  }

  /** Ends all following (the server stops); registrations hear nothing more. */
  close (): void {
    this.#closed = true
    this.#watched.clear()
    this.#unfollow()
  }

  #follow (): void {
    if (this.#unsubscribe !== null || this.#closed) return
    this.#unsubscribe = this.backend.onFinal(() => this.#check())
    this.#timer = setInterval(() => this.#check(), this.options.pollMs)
    this.#timer.unref?.()
  }

  #unfollow (): void {
    this.#unsubscribe?.()
    this.#unsubscribe = null
    clearInterval(this.#timer)
  }

  #check (): void {
    if (this.#pass !== null) {
      this.#again = true
      return
    }
    this.#pass = this.#runPasses().finally(() => { this.#pass = null })
  }

  async #runPasses (): Promise<void> {
    do {
      this.#again = false
      for (const watched of [...this.#watched.values()]) {
        if (watched.registrations.size === 0) continue
        let status: TxStatus | null
        try {
          status = await this.backend.txStatus(watched.hash)
        } catch {
          continue // a failed read: the next pass tries again
        }
        const json = JSON.stringify(status)
        for (const registration of [...watched.registrations]) {
          if (registration.last === null || registration.last === json) continue
          registration.last = json
          try {
            registration.listener(status)
          } catch {
            // a listener's failure is its own
          }
        }
      }
    } while (this.#again && !this.#closed)
  }
}
