/**
 * Polls every member's `GET /v1/status` a few times a second and keeps the longest time
 * without a new final batch anywhere in the committee (the highest head any member
 * reports did not move), plus each member's latest status for the runner (who leads,
 * who caught up). Only the time between `startMeasuring` and `stopMeasuring` counts.
 */
import { SequencerClient, type NodeStatus } from '../src/client/index.js'

export interface Stall {
  ms: number
  /** offsets from the campaign start, seconds */
  fromS: number
  toS: number
  /** the committee's head height the stall began at */
  height: number
}

const POLL_MS = 200
/** intervals at least this long are kept in `stalls` */
const STALL_MS = 1000

export class HeadMonitor {
  readonly latest = new Map<number, { status: NodeStatus, at: number }>()
  longest: Stall | null = null
  /** every interval of at least STALL_MS without a new final batch */
  readonly stalls: Stall[] = []
  #clients = new Map<string, SequencerClient>()
  #timer: NodeJS.Timeout | null = null
  #measuring = false
  #head = -1
  #headAt = 0
  readonly #inFlight = new Set<number>()

  constructor (private readonly urls: () => Array<{ index: number, url: string }>, private readonly t0: number) {}

  start (): void {
    this.#timer = setInterval(() => { void this.#poll() }, POLL_MS)
  }

  startMeasuring (): void {
    this.#measuring = true
    this.#headAt = performance.now()
  }

  stopMeasuring (): void {
    this.#note(performance.now())
    this.#measuring = false
  }

  stop (): void {
    if (this.#timer !== null) clearInterval(this.#timer)
    this.#timer = null
  }

  /** the highest final height any member reported */
  get head (): number {
    return this.#head
  }

  /** A fresh status of one member, or null if it does not answer within a second. */
  async status (index: number, url: string): Promise<NodeStatus | null> {
    let client = this.#clients.get(url)
    if (client === undefined) {
      client = new SequencerClient({ url, requestTimeoutMs: 1000 })
      this.#clients.set(url, client)
    }
    try {
      const status = await client.status()
      this.latest.set(index, { status, at: performance.now() })
      return status
    } catch {
      return null
    }
  }

  /** Each member on its own, so a frozen one (answering nothing) does not slow the others' polls. */
  async #poll (): Promise<void> {
    await Promise.all(this.urls().map(async ({ index, url }) => {
      if (this.#inFlight.has(index)) return
      this.#inFlight.add(index)
      try {
        const status = await this.status(index, url)
        const now = performance.now()
        if (status !== null && status.height > this.#head) {
          this.#note(now)
          this.#head = status.height
          this.#headAt = now
        }
      } finally {
        this.#inFlight.delete(index)
      }
    }))
  }

  /** Closes the current calm-or-stall interval at `now` and keeps it if it is the longest. */
  #note (now: number): void {
    if (!this.#measuring) return
    const ms = now - this.#headAt
    const stall = { ms: Math.round(ms), fromS: round1((this.#headAt - this.t0) / 1000), toS: round1((now - this.t0) / 1000), height: this.#head }
    if (ms >= STALL_MS) this.stalls.push(stall)
    if (this.longest === null || ms > this.longest.ms) this.longest = stall
  }
}

function round1 (x: number): number {
  return Math.round(x * 10) / 10
}
