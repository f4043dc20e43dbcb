/**
 * Sends this member's chunks again while no proposal has taken them. A chunk is sent once
 * when packed, best effort: a member not connected at that moment (a restart, a redial, a
 * full queue) never gets it, and a leader proposes only chunks it holds. Before this, such
 * a chunk waited for its origin to lead, and an origin that does not lead (down-weighted
 * by leader choice, or its proposals lost) kept its txs pending for good.
 *
 * A chunk is due again `firstResendMs` after it was packed, then at doubling intervals up
 * to `maxResendMs`, until it is final or `maxAgeMs` old. Being proposed is not enough to
 * stop: a proposal can be lost with its round (the origin's own, above all), and only a
 * final chunk is sure to be somewhere else. A healthy committee finalises a chunk long
 * before its first resend; a slow one pays one more check of it per member per interval.
 *
 * The first resend waits at least twice the slowest of the last `FINALITY_SAMPLES` own
 * chunks' pack-to-final times: a loaded committee that finalises in ~0.6-2 s (64-action txs,
 * the batch route at peak) otherwise sent each waiting chunk 2-4 more times (bench: 210-340 KB
 * on the wire per 16.8 KB tx), spending the CPU and bandwidth the backlog needed. A lost chunk
 * is still sent again within a few of the committee's own finality times.
 *
 * Copies go out one at a time (`resendDue`), each after the members' queues took the one
 * before: fired all at once, a slow committee's backlog of big chunks (64 pending chunks of
 * 64-action txs, ~11 MB per member) filled every queue past the stall limit, so fresh
 * chunks were dropped, proposals waited on fetches, rounds timed out and the backlog grew
 * (bench: 800 tx/s of 64-action txs, 23 tx/s final, thousands acknowledged never final).
 */
export interface OwnChunkResendOptions {
  firstResendMs: number
  maxResendMs: number
  /** after this the chunk is left to its txs' expiry (the mempool reports them) */
  maxAgeMs: number
  /** chunks tracked at the most; the oldest go first */
  maxTracked: number
}

export const defaultOwnChunkResendOptions: OwnChunkResendOptions = {
  firstResendMs: 500, // many rounds of a healthy committee: only a chunk that was lost waits this long
  maxResendMs: 8000, // an unreachable committee is not flooded with copies
  maxAgeMs: 120_000, // past a long partition; tx expiries are minutes
  maxTracked: 256 // more than the packer's own pending chunks (maxOwnPendingChunks 64)
}

/** own chunks whose pack-to-final time sets the first resend delay */
const FINALITY_SAMPLES = 32

interface Tracked {
  bytes: Uint8Array
  digest: Uint8Array
  packedAt: number
  dueAt: number
  intervalMs: number
}

export class OwnChunkResender {
  readonly #chunks = new Map<string, Tracked>()
  /** pack-to-final ms of the last own chunks made final, a ring */
  readonly #finalityMs: number[] = []
  #nextSample = 0
  #sending = false

  constructor (private readonly options: OwnChunkResendOptions = defaultOwnChunkResendOptions) {}

  track (digestHex: string, digest: Uint8Array, bytes: Uint8Array, now: number): void {
    const firstMs = this.firstResendMs
    this.#chunks.set(digestHex, { bytes, digest, packedAt: now, dueAt: now + firstMs, intervalMs: firstMs })
    if (this.#chunks.size > this.options.maxTracked) this.#chunks.delete(this.#chunks.keys().next().value as string)
  }

  /** The chunks are final (own ones tracked here give their pack-to-final time). */
  forget (digestHexes: Iterable<string>, now: number): void {
    for (const hex of digestHexes) {
      const tracked = this.#chunks.get(hex)
      if (tracked === undefined) continue
      this.#chunks.delete(hex)
      this.#finalityMs[this.#nextSample] = now - tracked.packedAt
      this.#nextSample = (this.#nextSample + 1) % FINALITY_SAMPLES
    }
  }

  /** Delay of a new chunk's first resend: the configured one, or twice the slowest recent finality. */
  get firstResendMs (): number {
    let slowest = 0
    for (const ms of this.#finalityMs) slowest = Math.max(slowest, ms)
    return Math.min(this.options.maxResendMs, Math.max(this.options.firstResendMs, 2 * slowest))
  }

  get size (): number {
    return this.#chunks.size
  }

  /**
   * Sends the due chunks again, one after the other, each once `send` resolved for the one
   * before; a chunk that became final meanwhile is skipped. While a pass runs, another call
   * does nothing (the next tick takes what is still due), so at most one copy waits for room.
   */
  async resendDue (now: number, send: (chunk: { bytes: Uint8Array, digest: Uint8Array }) => Promise<void>): Promise<number> {
    if (this.#sending) return 0
    this.#sending = true
    let sent = 0
    try {
      for (const chunk of this.due(now)) {
        if (!this.#chunks.has(chunk.hex)) continue
        await send(chunk)
        sent++
      }
    } finally {
      this.#sending = false
    }
    return sent
  }

  /** The chunks to send again now. */
  due (now: number): Array<{ hex: string, bytes: Uint8Array, digest: Uint8Array }> {
    const out: Array<{ hex: string, bytes: Uint8Array, digest: Uint8Array }> = []
    for (const [hex, tracked] of this.#chunks) {
      if (now - tracked.packedAt > this.options.maxAgeMs) {
        this.#chunks.delete(hex)
        continue
      }
      if (now < tracked.dueAt) continue
      tracked.intervalMs = Math.min(tracked.intervalMs * 2, this.options.maxResendMs)
      tracked.dueAt = now + tracked.intervalMs
      out.push({ hex, bytes: tracked.bytes, digest: tracked.digest })
    }
    return out
  }
}
