/**
 * Keeps a connection to every member it is given (the transport gives it the members this
 * one must dial: connection-policy.ts) whose address we know: dials at once when told of an
 * address or of a disconnect, then retries with exponential backoff (with jitter) while the
 * member is down, so members can start in any order and come back after a crash.
 */
export interface MemberDialerOptions {
  members: number[]
  /** dials the member; rejects when it cannot be reached */
  dial: (index: number, signal: AbortSignal) => Promise<void>
  isConnected: (index: number) => boolean
  dialTimeoutMs: number
  minDelayMs: number
  maxDelayMs: number
  onOutcome: (index: number, ok: boolean, err?: unknown) => void
}

interface MemberState {
  known: boolean
  delayMs: number
  timer: ReturnType<typeof setTimeout> | undefined
  dialing: boolean
}

export class MemberDialer {
  readonly #opts: MemberDialerOptions
  readonly #members = new Map<number, MemberState>()
  readonly #abort = new AbortController()
  #running = false

  constructor (opts: MemberDialerOptions) {
    this.#opts = opts
    for (const index of opts.members) this.#members.set(index, { known: false, delayMs: opts.minDelayMs, timer: undefined, dialing: false })
  }

  start (): void {
    this.#running = true
    for (const index of this.#members.keys()) this.#schedule(index, 0)
  }

  stop (): void {
    this.#running = false
    this.#abort.abort()
    for (const state of this.#members.values()) clearTimeout(state.timer)
  }

  /** The member has (new) addresses: dial now, with a fresh backoff. */
  addressesChanged (index: number): void {
    const state = this.#members.get(index)
    if (state === undefined) return
    state.known = true
    state.delayMs = this.#opts.minDelayMs
    this.#schedule(index, 0)
  }

  connected (index: number): void {
    const state = this.#members.get(index)
    if (state === undefined) return
    state.delayMs = this.#opts.minDelayMs
    clearTimeout(state.timer)
    state.timer = undefined
  }

  disconnected (index: number): void {
    const state = this.#members.get(index)
    if (state === undefined) return
    this.#schedule(index, this.#jitter(this.#opts.minDelayMs))
  }

  #jitter (ms: number): number {
    return ms * (0.8 + Math.random() * 0.4)
  }

  #schedule (index: number, delayMs: number): void {
    const state = this.#members.get(index)!
    if (!this.#running || !state.known || state.dialing) return
    clearTimeout(state.timer)
    state.timer = setTimeout(() => {
      state.timer = undefined
      void this.#attempt(index, state)
    }, delayMs)
  }

  async #attempt (index: number, state: MemberState): Promise<void> {
    if (!this.#running || this.#opts.isConnected(index)) return
    state.dialing = true
    let ok = false
    try {
      await this.#opts.dial(index, AbortSignal.any([this.#abort.signal, AbortSignal.timeout(this.#opts.dialTimeoutMs)]))
      ok = true
      this.#opts.onOutcome(index, true)
    } catch (err) {
      if (this.#running) this.#opts.onOutcome(index, false, err)
    } finally {
      state.dialing = false
    }
    if (ok) {
      state.delayMs = this.#opts.minDelayMs
      return
    }
    const delay = this.#jitter(state.delayMs)
    state.delayMs = Math.min(state.delayMs * 2, this.#opts.maxDelayMs)
    this.#schedule(index, delay)
  }
}
