/**
 * Gathers the txs a follower accepted within one event-loop turn into one gossip message
 * (a `RelayBundle`): a gossipsub publish costs the same framing, encryption and writes to
 * every mesh peer whatever it carries, and each receiver pays per message too. Under light
 * load a bundle holds one tx and leaves at once (setImmediate, no timer); under load the
 * turns get longer and bundles fill up by themselves, so no latency is traded for it.
 */
import { encode, MAX_RELAY_BUNDLE_TXS, RelayBundleSchema } from '../codec/index.js'

export interface TxBundlerOptions {
  /** sends one encoded RelayBundle */
  publish: (bundle: Uint8Array) => Promise<void>
  /** tx bytes per bundle at most (a single larger tx still goes, alone) */
  maxBytes: number
  maxTxs?: number
}

interface Waiter { resolve: () => void, reject: (err: unknown) => void }

export class TxBundler {
  #txs: Uint8Array[] = []
  #waiters: Waiter[] = []
  #bytes = 0
  #scheduled = false
  readonly #maxTxs: number
  bundles = 0

  constructor (private readonly opts: TxBundlerOptions) {
    this.#maxTxs = Math.min(opts.maxTxs ?? MAX_RELAY_BUNDLE_TXS, MAX_RELAY_BUNDLE_TXS)
  }

  /** Resolves once the bundle holding `tx` was handed to gossip; rejects with its failure. */
  async add (tx: Uint8Array): Promise<void> {
    if (this.#txs.length > 0 && this.#bytes + tx.byteLength > this.opts.maxBytes) this.#flush()
    const sent = new Promise<void>((resolve, reject) => { this.#waiters.push({ resolve, reject }) })
    this.#txs.push(tx)
    this.#bytes += tx.byteLength
    if (this.#txs.length >= this.#maxTxs) this.#flush()
    else if (!this.#scheduled) {
      this.#scheduled = true
      setImmediate(() => { this.#scheduled = false; this.#flush() })
    }
    return await sent
  }

  #flush (): void {
    if (this.#txs.length === 0) return
    const txs = this.#txs
    const waiters = this.#waiters
    this.#txs = []
    this.#waiters = []
    this.#bytes = 0
    this.bundles++
    let bytes: Uint8Array
    try {
      bytes = encode(RelayBundleSchema, { version: 1, txs })
    } catch (err) {
      for (const w of waiters) w.reject(err)
      return
    }
    this.opts.publish(bytes).then(() => { for (const w of waiters) w.resolve() }, (err: unknown) => { for (const w of waiters) w.reject(err) })
  }
}
