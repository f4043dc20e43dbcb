/**
 * A follower's submit path: the tx passes every stateless admission rule here (the same
 * code and codes as a member's mempool: mempool/tx-check.ts), then goes out on the tx
 * topic toward the committee. The ack says "accepted for gossip", not "durably held": the
 * member that admits it gives the durable ack to the network, not to this client.
 *
 * The follower remembers what it relayed (bounded), so the sender can ask it for the tx's
 * fate: relayed until a final batch holds it, or dropped (expired) once no batch can: a
 * final batch's timestamp passed its expiry and the grace (batch timestamps never go down,
 * and a batch counts only txs not `expiredAt` its timestamp), or, on a chain with no new batch, the
 * expiry passed `RELAY_DROP_GRACE_MS` ago.
 */
import { AdmissionError, AdmissionErrorCode, type MempoolGenesis, type VerifiedSenders } from '../mempool/index.js'
import { checkTxStateless } from '../mempool/tx-check.js'
import { bytesToHex } from '../crypto/index.js'
import { expiredAt } from '../batch/index.js'
import type { TxBundler } from './tx-bundler.js'

export type RelayedStatus =
  | { status: 'relayed' }
  | { status: 'dropped', reason: 'expired', code: 'TX_EXPIRED', message: string }

export interface TxRelayDeps {
  genesis: MempoolGenesis
  /** gathers accepted txs into gossip messages */
  bundler: Pick<TxBundler, 'add'>
  isFinal: (hash: Uint8Array) => boolean
  /** the timestamp of the highest final batch stored here (-1 before any) */
  finalTimestamp: () => number
  /** where the signatures checked here go, so the in-process rollups need not check them again */
  verifiedSenders?: VerifiedSenders
  now?: () => number
}

/** txs remembered for status queries; the oldest are forgotten first */
export const MAX_RELAYED_TXS = 100_000

/**
 * An idle chain makes no batch to settle an expired tx: past its expiry by this much, with
 * no batch since, it is reported dropped. Far above a round, a catch-up and clock drift.
 */
export const RELAY_DROP_GRACE_MS = 60_000

export class TxRelay {
  readonly #relayed = new Map<string, { expiry: number }>()
  readonly #now: () => number
  relayedCount = 0

  constructor (private readonly deps: TxRelayDeps) {
    this.#now = deps.now ?? Date.now
  }

  /** Checks and gossips one encoded tx; throws AdmissionError (the member's codes). */
  async submit (bytes: Uint8Array): Promise<{ hash: string }> {
    const { tx, hash } = checkTxStateless(this.deps.genesis, bytes, this.#now())
    const hex = bytesToHex(hash)
    this.deps.verifiedSenders?.add(hex, tx.signature)
    // [REJECT] already final
    if (this.deps.isFinal(hash)) throw new AdmissionError(AdmissionErrorCode.DUPLICATE, 'tx is already final')
    try {
      await this.deps.bundler.add(bytes)
    } catch (err) {
      // [503 OVERLOADED] not about this tx: no peer took the bundle (no mesh yet), try again soon
      throw new AdmissionError(AdmissionErrorCode.OVERLOADED, `not relayed: ${(err as Error).message}`, 1)
    }
    this.#relayed.delete(hex)
    this.#relayed.set(hex, { expiry: tx.expiry })
    if (this.#relayed.size > MAX_RELAYED_TXS) this.#relayed.delete(this.#relayed.keys().next().value!)
    this.relayedCount++
    return { hash: hex }
  }

  /** null when this follower never relayed it (or forgot it). */
  status (hashHex: string): RelayedStatus | null {
    const entry = this.#relayed.get(hashHex)
    if (entry === undefined) return null
    const settled = expiredAt(entry.expiry, this.deps.finalTimestamp()) || entry.expiry + RELAY_DROP_GRACE_MS <= this.#now()
    if (!settled) return { status: 'relayed' }
    return { status: 'dropped', reason: 'expired', code: 'TX_EXPIRED', message: `expired at ${entry.expiry} before any final batch held it` }
  }

  forget (hashHex: string): void {
    this.#relayed.delete(hashHex)
  }
}
