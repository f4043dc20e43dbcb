/**
 * Gathers the txs a follower accepted within one event-loop turn into one message per
 * route (a `RelayBundle`): a publish or a stream write costs the same framing, encryption
 * and writes whatever it carries, and each receiver pays per message too. Under light load
 * a bundle holds one tx and leaves at once (setImmediate, no timer); under load the turns
 * get longer and bundles fill up by themselves, so no latency is traded for it. The route
 * of a tx (e.g. the member that admits it, follower-node.ts) says which bundle it joins.
 */
import { encode, MAX_RELAY_BUNDLE_TXS, RelayBundleSchema } from '../codec/index.js'

export interface TxBundlerOptions {
  /** sends one encoded RelayBundle of `route`'s txs */
  publish: (bundle: Uint8Array, route: string) => Promise<void>
  /** which bundle a tx joins (default: one route for all) */
  route?: (tx: Uint8Array) => string
  /** tx bytes per bundle at most (a single larger tx still goes, alone) */
  maxBytes: number
  maxTxs?: number
}

interface Waiter { resolve: () => void, reject: (err: unknown) => void }
interface Pending { txs: Uint8Array[], waiters: Waiter[], bytes: number }

export class TxBundler {
  readonly #pending = new Map<string, Pending>()
  #scheduled = false
  readonly #maxTxs: number
  bundles = 0

  constructor (private readonly opts: TxBundlerOptions) {
    this.#maxTxs = Math.min(opts.maxTxs ?? MAX_RELAY_BUNDLE_TXS, MAX_RELAY_BUNDLE_TXS)
  }

  /** Resolves once the bundle holding `tx` was handed on; rejects with its failure. */
  async add (tx: Uint8Array): Promise<void> {
    const route = this.opts.route?.(tx) ?? ''
    let pending = this.#pending.get(route)
    if (pending !== undefined && pending.txs.length > 0 && pending.bytes + tx.byteLength > this.opts.maxBytes) {
      this.#flush(route, pending)
      pending = undefined
    }
    if (pending === undefined) {
      pending = { txs: [], waiters: [], bytes: 0 }
      this.#pending.set(route, pending)
    }
    const entry = pending
    const sent = new Promise<void>((resolve, reject) => { entry.waiters.push({ resolve, reject }) })
    entry.txs.push(tx)
    entry.bytes += tx.byteLength
    if (entry.txs.length >= this.#maxTxs) this.#flush(route, entry)
    else if (!this.#scheduled) {
      this.#scheduled = true
      setImmediate(() => {
        this.#scheduled = false
        for (const [key, waiting] of [...this.#pending]) this.#flush(key, waiting)
      })
    }
    return await sent
  }

  #flush (route: string, pending: Pending): void {
    if (this.#pending.get(route) === pending) this.#pending.delete(route)
    const { txs, waiters } = pending
    this.bundles++
    let bytes: Uint8Array
    try {
      bytes = encode(RelayBundleSchema, { version: 1, txs })
    } catch (err) {
      for (const w of waiters) w.reject(err)
      return
    }
    this.opts.publish(bytes, route).then(() => { for (const w of waiters) w.resolve() }, (err: unknown) => { for (const w of waiters) w.reject(err) })
  }
}
