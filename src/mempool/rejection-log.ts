/** Bounded memory of recently rejected tx hashes, so GET /v1/txs/:hash can say why. */
export interface Rejection {
  code: string
  message: string
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
