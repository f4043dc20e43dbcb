/** Bounded memory of recently rejected or dropped tx hashes, so GET /v1/txs/:hash can say why. */

/**
 * Why an acknowledged tx left the mempool without becoming final (docs/API.md, "Transaction
 * lifecycle"): `expired` before any batch took it, or `invalid` in the final batch that
 * included it (it did not count there: expired at that batch's timestamp).
 */
export type DropReason = 'expired' | 'invalid'

export interface Rejection {
  code: string
  message: string
  /** set only for a tx that was acknowledged and then dropped */
  reason?: DropReason
}

export class RejectionLog {
  readonly #entries = new Map<string, Rejection>()

  constructor (readonly capacity: number) {}

  record (hashHex: string, rejection: Rejection): void {
    this.#entries.delete(hashHex)
    this.#entries.set(hashHex, rejection)
    if (this.#entries.size > this.capacity) this.#entries.delete(this.#entries.keys().next().value as string)
  }

  get (hashHex: string): Rejection | undefined {
    return this.#entries.get(hashHex)
  }

  forget (hashHex: string): void {
    this.#entries.delete(hashHex)
  }
}
