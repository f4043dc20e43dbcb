/**
 * The mempool: admission (a typed reason for every reject), per-rollup lanes with
 * weighted fair selection, a bounded size with borrowing that never eats into another
 * lane's guaranteed share, and a write-ahead log so an acknowledged tx survives a crash.
 *
 * A tx's lane is the rollup of its first action. Capacity is counted in txs and bytes. A
 * `reservedFraction` of it is split among lanes by weight (lane i is guaranteed
 * `capacity * reservedFraction * weight_i / sum(weights)`); the rest is shared, first come
 * first served. A lane past its reserve may use shared space only while every other lane's
 * unused reserve stays free, so a flood fills the shared part and then gets LANE_FULL while
 * the others still get in.
 */
import { expiredAt } from '../batch/index.js'
import { decode, TxSchema, type Tx } from '../codec/index.js'
import { sha256, verifyEd25519, bytesToHex } from '../crypto/index.js'
import { AdmissionError, AdmissionErrorCode } from './errors.js'
import { Fifo } from './fifo.js'
import { FairSelector, type SelectableLane } from './fair-selector.js'
import { RejectionLog, type DropReason, type Rejection } from './rejection-log.js'
import { txSigningMessage } from '../batch/index.js'
import { LANE_BUDGET_LAGS, LagGuard, defaultLagGuardOptions, type Overload } from './lag-guard.js'
import { LaneRateLimiter } from './lane-rate.js'
import { WalWriter } from './wal-writer.js'
import { VerifiedSenders } from './verified-senders.js'
import { checkTxContent, decodeTx } from './tx-check.js'

export interface MempoolOptions {
  /** most txs held (pending + proposed); bounds memory */
  maxTxs: number
  /** most bytes held */
  maxBytes: number
  /** DRR quantum per unit of weight; about one typical tx so lanes interleave finely */
  quantumBytes: number
  /** recently refused hashes kept for status queries, and as many dropped ones (kept apart) */
  rejectionMemory: number
  /** seconds a client is told to wait when its lane or the pool is full */
  retryAfterSeconds: number
  /** part of the capacity reserved for lanes by weight; the rest is shared */
  reservedFraction: number
  /** the member holds at most what it makes final in this time (own txs not final: queue and pipeline); beyond, 503 OVERLOADED (lag-guard.ts) */
  admitTargetMs: number
  /** held txs below which nothing is refused as OVERLOADED (cold start, slow committee) */
  overloadMinHeldTxs: number
  /** held bytes below which nothing is refused as OVERLOADED */
  overloadMinHeldBytes: number
  /** a rollup's lane limit (429) is its weight share of what the member makes final in 2 x this */
  maxLagMs: number
  /** the lane limit's floor: below this many held txs no lane is refused for it */
  overloadMinBacklogTxs: number
  /** txs per second this member admits from all rollups together, split by weight into per-rollup rates (lane-rate.ts); 0 = no rate limit */
  laneRateTxPerSec: number
  /** seconds of its rate a rollup may send at once above it */
  laneBurstSeconds: number
  /** this member's lane weights by rollup name, in place of genesis `rollups[].weight` (its fair selection, mempool shares and rates) */
  laneWeights?: Record<string, number>
}

export const defaultMempoolOptions: MempoolOptions = {
  maxTxs: 100_000, // ~40 MB of 400 B txs: far above what a batch interval drains, far below memory
  maxBytes: 256 * 1024 * 1024, // bounds the worst case of large payloads
  quantumBytes: 512, // about one small tx
  rejectionMemory: 100_000, // a few MB; enough to explain recent rejects
  retryAfterSeconds: 1, // one second is several batch intervals
  reservedFraction: 0.5, // half guarantees every rollup room, half absorbs one rollup's burst
  admitTargetMs: defaultLagGuardOptions.targetMs,
  overloadMinHeldTxs: defaultLagGuardOptions.minHeldTxs,
  overloadMinHeldBytes: defaultLagGuardOptions.minHeldBytes,
  maxLagMs: defaultLagGuardOptions.maxLagMs,
  overloadMinBacklogTxs: defaultLagGuardOptions.minBacklogTxs,
  laneRateTxPerSec: 0, // off: the member's comfortable rate depends on its machine and committee (docs/OPERATIONS.md, "Flooding rollup")
  laneBurstSeconds: 2 // a member's event loop stalling ~1 s under load must not cost a rollup within its rate refusals when the queued requests arrive at once
}

export interface MempoolGenesis {
  chainId: string
  rollups: Array<{ id: number, name: string, weight: number }>
  limits: { maxPayloadBytes: number, maxActionsPerTx: number, maxTxBytes: number, maxExpiryWindowMs: number }
}

export interface MempoolStore {
  walAppend: (entries: Array<{ hash: Uint8Array, bytes: Uint8Array }>) => Promise<void>
  walRemove: (hashes: Uint8Array[]) => Promise<void>
  walEntries: () => Promise<Array<{ hash: Uint8Array, bytes: Uint8Array }>>
  txLocation: (hash: Uint8Array) => Promise<unknown>
  /** the same lookup on the calling thread, when the store has one (saves a thread-pool round trip per tx) */
  txLocationSync?: (hash: Uint8Array) => unknown
}

interface CounterLike { inc: (labels: Record<string, string>, value?: number) => void }
export interface MempoolMetrics {
  admitted: CounterLike
  rejected: CounterLike
  /** refusals of a rollup for its lane (rate, lane limit, share, overload), by rollup, code and stage (`header`: before the body was read) */
  laneRefused?: CounterLike
}

/** Where a lane refusal happened: from the `x-rollup-id` header before the body was read, or after the decode. */
export type LaneCheckStage = 'header' | 'body'

export interface MempoolEntry {
  hash: Uint8Array
  hashHex: string
  tx: Tx
  /** the encoded tx exactly as received */
  bytes: Uint8Array
  size: number
  lane: number
  /** admission sequence: restores arrival order after a restart */
  seq: number
  /** logging: WAL write in flight; pending: in its lane; chunked: packed into a chunk; proposed: its chunk is in a proposal */
  state: 'logging' | 'pending' | 'chunked' | 'proposed'
  /** settles (never rejects) when the WAL write of a 'logging' entry succeeded or failed */
  logged?: Promise<void>
  proposedHeight?: number
  /** performance.now() when the tx became durable (or was recovered) */
  admittedAt: number
}

interface Lane extends SelectableLane<MempoolEntry> {
  id: number
  name: string
  txs: number
  bytes: number
  guaranteedTxs: number
  guaranteedBytes: number
}

export type MempoolTxState =
  | { status: 'pending' }
  | { status: 'proposed', height: number }
  /** `reason` is set when the tx was acknowledged and then dropped */
  | { status: 'rejected', code: string, message: string, reason?: DropReason }

export class Mempool {
  readonly #lanes = new Map<number, Lane>()
  readonly #laneList: Lane[]
  readonly #byHash = new Map<string, MempoolEntry>()
  readonly #rejections: RejectionLog
  /** acknowledged txs dropped later: apart, so a flood of refused submissions cannot push them out */
  readonly #drops: RejectionLog
  readonly #wal: WalWriter
  readonly #selector: FairSelector<MempoolEntry>
  readonly #lag: LagGuard
  readonly #rates: LaneRateLimiter
  readonly #totalWeight: number
  #txs = 0
  #bytes = 0
  #seq = 0
  #waiters: Array<() => void> = []
  /** one promise shared by everyone waiting for the next markProposed */
  #proposed: PromiseWithResolvers<void> | null = null
  /** signatures this member verified at admission (its rollups need not verify them again) */
  readonly verifiedSenders = new VerifiedSenders()

  constructor (
    private readonly genesis: MempoolGenesis,
    private readonly store: MempoolStore,
    private readonly options: MempoolOptions = defaultMempoolOptions,
    private readonly metrics: MempoolMetrics | null = null,
    private readonly now: () => number = Date.now
  ) {
    for (const name of Object.keys(options.laneWeights ?? {})) {
      if (!genesis.rollups.some((r) => r.name === name)) throw new Error(`mempool.laneWeights names rollup ${name}, which genesis does not have`)
    }
    const weights = genesis.rollups.map((r) => options.laneWeights?.[r.name] ?? r.weight)
    const totalWeight = weights.reduce((sum, w) => sum + w, 0)
    this.#totalWeight = totalWeight
    this.#lag = new LagGuard({
      maxLagMs: options.maxLagMs,
      minBacklogTxs: options.overloadMinBacklogTxs,
      windowMs: defaultLagGuardOptions.windowMs,
      targetMs: options.admitTargetMs,
      minHeldTxs: options.overloadMinHeldTxs,
      minHeldBytes: options.overloadMinHeldBytes,
      capacityMemoryMs: defaultLagGuardOptions.capacityMemoryMs
    }, now())
    this.#laneList = genesis.rollups.map((r, i) => ({
      id: r.id,
      name: r.name,
      weight: weights[i]!,
      queue: new Fifo<MempoolEntry>(),
      deficit: 0,
      txs: 0,
      bytes: 0,
      guaranteedTxs: Math.floor(options.maxTxs * options.reservedFraction * weights[i]! / totalWeight),
      guaranteedBytes: Math.floor(options.maxBytes * options.reservedFraction * weights[i]! / totalWeight)
    }))
    for (const lane of this.#laneList) this.#lanes.set(lane.id, lane)
    this.#rates = new LaneRateLimiter(this.#laneList, { laneRateTxPerSec: options.laneRateTxPerSec, laneBurstSeconds: options.laneBurstSeconds }, now())
    this.#rejections = new RejectionLog(options.rejectionMemory)
    this.#drops = new RejectionLog(options.rejectionMemory)
    this.#wal = new WalWriter(store)
    this.#selector = new FairSelector(this.#laneList, options.quantumBytes)
  }

  /**
   * Re-admits every tx of the WAL (acknowledged before a crash) in arrival order; capacity
   * limits do not apply to them since they were already acknowledged. Expired ones are
   * rejected explicitly and removed from the WAL.
   */
  async recover (): Promise<{ recovered: number, expired: number, alreadyFinal: number }> {
    const entries = await this.store.walEntries()
    const restored: MempoolEntry[] = []
    const remove: Uint8Array[] = []
    let expired = 0
    let alreadyFinal = 0
    for (const { hash, bytes } of entries) {
      const seq = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0))
      const txBytes = bytes.subarray(8)
      const tx = decode(TxSchema, txBytes) // the WAL only holds txs that passed admission: a failure here is corruption and must stop the node
      const hashHex = bytesToHex(hash)
      if (await this.store.txLocation(hash) !== null) { remove.push(hash); alreadyFinal++; continue }
      if (expiredAt(tx.expiry, this.now())) {
        remove.push(hash)
        expired++
        this.#drop(hashHex, 'expired', 'expired in the mempool before it was ordered')
        continue
      }
      restored.push({ hash, hashHex, tx, bytes: txBytes, size: txBytes.length, lane: tx.actions[0]!.rollupId, seq, state: 'pending', admittedAt: performance.now() })
    }
    restored.sort((a, b) => a.seq - b.seq)
    for (const entry of restored) {
      const lane = this.#lanes.get(entry.lane)
      if (lane === undefined) { // genesis cannot change under a data folder, so this is corruption
        throw new Error(`WAL holds tx ${entry.hashHex} for rollup ${entry.lane}, which genesis does not know`)
      }
      this.#byHash.set(entry.hashHex, entry)
      this.#account(lane, entry, +1)
      lane.queue.push(entry)
      this.#seq = Math.max(this.#seq, entry.seq + 1)
    }
    if (remove.length > 0) await this.store.walRemove(remove)
    this.#wake()
    return { recovered: restored.length, expired, alreadyFinal }
  }

  /**
   * Admits one encoded tx; resolves with its hash once it is durable in the WAL.
   * `claimedRollup`: the rollup the client named before the body (`x-rollup-id`); a tx of
   * another lane is refused as malformed, so the early check cannot be dodged by a wrong name.
   */
  async admit (bytes: Uint8Array, claimedRollup?: number): Promise<{ hash: Uint8Array, hashHex: string }> {
    try {
      return await this.#admit(bytes, claimedRollup)
    } catch (err) {
      if (err instanceof AdmissionError) this.metrics?.rejected.inc({ code: err.code })
      throw err
    }
  }

  /**
   * The lane checks that need no tx (rate, lane limit, share, overload) for a rollup named
   * before the body is read: null to go on reading, or the refusal, counted like one at
   * admission. Spends nothing; an unknown rollup is left to admission's own refusal.
   */
  laneGate (rollupId: number): AdmissionError | null {
    const lane = this.#lanes.get(rollupId)
    if (lane === undefined) return null
    try {
      this.#checkLane(lane, 0, 'header', false)
      return null
    } catch (err) {
      if (!(err instanceof AdmissionError)) throw err
      this.metrics?.rejected.inc({ code: err.code })
      return err
    }
  }

  async #admit (bytes: Uint8Array, claimedRollup: number | undefined): Promise<{ hash: Uint8Array, hashHex: string }> {
    const { chainId } = this.genesis
    const tx = decodeTx(this.genesis, bytes)
    const laneId = tx.actions[0]?.rollupId ?? -1
    if (claimedRollup !== undefined && claimedRollup !== laneId) {
      throw new AdmissionError(AdmissionErrorCode.MALFORMED, `the x-rollup-id header names rollup ${claimedRollup}, but the tx's first action is for rollup ${laneId}`)
    }
    // A lane over its rate or share is refused before hashing and the signature check, so a
    // flood into one rollup costs a decode per tx, not a verify (share checked again below, after awaits).
    const earlyLane = this.#lanes.get(laneId)
    if (earlyLane !== undefined) this.#checkLane(earlyLane, bytes.length, 'body', true)
    const message = txSigningMessage(chainId, tx)
    const hash = sha256(message)
    const hashHex = bytesToHex(hash)
    try {
      this.#checkContent(tx)
      // [REJECT] the signature is the sender's over the domain-tagged body
      if (!verifyEd25519(tx.sender, message, tx.signature)) throw new AdmissionError(AdmissionErrorCode.BAD_SIGNATURE, 'signature does not verify for the sender key')
      this.verifiedSenders.add(hashHex, tx.signature)
      // Looked at again with no await before the entry is made: a copy admitted meanwhile is held.
      do await this.#refuseIfHeld(hash, hashHex)
      while (this.#byHash.has(hashHex))
    } catch (err) {
      // A duplicate must not overwrite what the status of the original says.
      if (err instanceof AdmissionError && err.code !== AdmissionErrorCode.DUPLICATE) this.#rejections.record(hashHex, { code: err.code, message: err.message })
      throw err
    }
    const lane = this.#lanes.get(tx.actions[0]!.rollupId)!
    this.#checkCapacity(lane, bytes.length)
    this.#checkLag(lane) // again: admissions of the same batch passed the early check together, before any was held
    const entry: MempoolEntry = { hash, hashHex, tx, bytes, size: bytes.length, lane: lane.id, seq: this.#seq++, state: 'logging', admittedAt: 0 }
    this.#byHash.set(hashHex, entry)
    this.#account(lane, entry, +1)
    const walValue = new Uint8Array(8 + bytes.length)
    new DataView(walValue.buffer).setBigUint64(0, BigInt(entry.seq))
    walValue.set(bytes, 8)
    const written = this.#wal.append(hash, walValue)
    entry.logged = written.then(() => {}, () => {})
    try {
      await written
    } catch (err) {
      this.#byHash.delete(hashHex)
      this.#account(lane, entry, -1)
      throw err
    }
    entry.state = 'pending'
    entry.admittedAt = performance.now()
    lane.queue.push(entry)
    this.#rejections.forget(hashHex)
    this.metrics?.admitted.inc({ rollup: lane.name })
    this.#wake()
    return { hash, hashHex }
  }

  /**
   * [REJECT] not already pending or final. A copy whose WAL write is still in flight is
   * waited for: the duplicate answer is given only for a tx durably held, and if that
   * write fails this copy is admitted (and written) in its place.
   */
  async #refuseIfHeld (hash: Uint8Array, hashHex: string): Promise<void> {
    let held = this.#byHash.get(hashHex)
    while (held?.state === 'logging') {
      await held.logged
      held = this.#byHash.get(hashHex)
    }
    if (held !== undefined || await this.#isFinal(hash)) throw new AdmissionError(AdmissionErrorCode.DUPLICATE, 'tx is already pending or final')
  }

  async #isFinal (hash: Uint8Array): Promise<boolean> {
    const { store } = this
    return (store.txLocationSync !== undefined ? store.txLocationSync(hash) : await store.txLocation(hash)) !== null
  }

  /** Capacity, lag and rate of a lane (`spend`: take the rate's token); a refusal is counted for the rollup. */
  #checkLane (lane: Lane, size: number, stage: LaneCheckStage, spend: boolean): void {
    try {
      this.#checkCapacity(lane, size)
      this.#checkLag(lane)
      this.#checkRate(lane, spend)
    } catch (err) {
      if (err instanceof AdmissionError) this.metrics?.laneRefused?.inc({ rollup: lane.name, code: err.code, stage })
      throw err
    }
  }

  /** [429 LANE_FULL] the rollup sends faster than its weighted share of laneRateTxPerSec (lane-rate.ts) */
  #checkRate (lane: Lane, spend: boolean): void {
    const now = this.now()
    const over = spend ? this.#rates.take(lane.id, now) : this.#rates.peek(lane.id, now)
    if (over === null) return
    throw new AdmissionError(AdmissionErrorCode.LANE_FULL,
      `rollup ${lane.name} is over its lane rate: ${formatRate(over.ratePerSec)} tx/s at this member (weight ${lane.weight} of ${this.#totalWeight} of ${this.options.laneRateTxPerSec} tx/s)`,
      over.retryAfterSeconds)
  }

  #checkContent (tx: Tx): void {
    checkTxContent(this.genesis, tx, this.now(), (id) => this.#lanes.has(id))
  }

  /**
   * [503 OVERLOADED] the member holds what the committee makes final of its txs in admitTargetMs  (only a rollup holding its weighted share of that);
   * [429 LANE_FULL] the member holds more than it makes final soon, and this rollup holds its weighted share of that (lag-guard.ts)
   */
  #checkLag (lane: Lane): void {
    const share = lane.weight / this.#totalWeight
    const now = this.now()
    const overload = this.#overloadOf(lane, now)
    if (overload !== null) throw this.#overloadError(overload)
    const laneLimit = this.#lag.checkLane(this.#txs, lane.txs, share, now)
    if (laneLimit !== null) {
      throw new AdmissionError(AdmissionErrorCode.LANE_FULL,
        `rollup ${lane.name} is over its lane limit: ${lane.txs} txs not final at this member, limit ${laneLimit.limit} (weight ${lane.weight} of ${this.#totalWeight}, of what this member makes final in ${LANE_BUDGET_LAGS * this.options.maxLagMs} ms)`,
        laneLimit.retryAfterSeconds)
    }
  }

  #overloadOf (lane: Lane, now: number): Overload | null {
    return this.#lag.check({ txs: this.#txs, bytes: this.#bytes }, { txs: lane.txs, bytes: lane.bytes }, lane.weight / this.#totalWeight, now)
  }

  #overloadError ({ held, bound, paceTxsPerSec, retryAfterSeconds }: Overload): AdmissionError {
    return new AdmissionError(AdmissionErrorCode.OVERLOADED,
      `this member holds ${held.txs} txs (${held.bytes} B) not final, its bound is ${bound.txs} txs (${bound.bytes} B): what the committee makes final in ${this.options.admitTargetMs} ms at ${Math.round(paceTxsPerSec)} tx/s`,
      retryAfterSeconds)
  }

  /**
   * For a request that names no rollup, before its body is read: the 503 OVERLOADED every tx
   * in it would get (the member is over its bound and every lane holds at least its share),
   * counted once; null to go on reading. In an overload most requests are refused, and
   * reading and decoding each one's body cost the members the CPU the committee needed
   * (bench overload: ~2.8k refused txs/s, 256 to a request).
   */
  overloadGate (): AdmissionError | null {
    const now = this.now()
    let refusal: Overload | null = null
    for (const lane of this.#laneList) {
      refusal = this.#overloadOf(lane, now)
      if (refusal === null) return null
    }
    if (refusal === null) return null
    const err = this.#overloadError(refusal)
    this.metrics?.rejected.inc({ code: err.code })
    return err
  }

  #checkCapacity (lane: Lane, size: number): void {
    const { maxTxs, maxBytes, retryAfterSeconds } = this.options
    const withinShare = lane.txs + 1 <= lane.guaranteedTxs && lane.bytes + size <= lane.guaranteedBytes
    if (withinShare) return
    let reservedTxs = 0
    let reservedBytes = 0
    for (const other of this.#laneList) {
      if (other === lane) continue
      reservedTxs += Math.max(0, other.guaranteedTxs - other.txs)
      reservedBytes += Math.max(0, other.guaranteedBytes - other.bytes)
    }
    if (this.#txs + 1 > maxTxs || this.#bytes + size > maxBytes) {
      throw new AdmissionError(AdmissionErrorCode.MEMPOOL_FULL, 'mempool is full', retryAfterSeconds)
    }
    if (this.#txs + 1 + reservedTxs > maxTxs || this.#bytes + size + reservedBytes > maxBytes) {
      throw new AdmissionError(AdmissionErrorCode.LANE_FULL, `rollup ${lane.name} is over its share of the mempool`, retryAfterSeconds)
    }
  }

  #account (lane: Lane, entry: MempoolEntry, sign: 1 | -1): void {
    lane.txs += sign
    lane.bytes += sign * entry.size
    this.#txs += sign
    this.#bytes += sign * entry.size
  }

  /** An acknowledged tx leaves without becoming final: its status says why, from now on. */
  #drop (hashHex: string, reason: DropReason, message: string): void {
    const code = AdmissionErrorCode.EXPIRED
    this.#drops.record(hashHex, { code, message, reason })
    this.metrics?.rejected.inc({ code })
  }

  /**
   * Takes txs by weighted fair share, marking them proposed at `height` (or just chunked
   * when height is -1: packed into a chunk that no proposal holds yet). Txs that
   * expired while waiting are rejected explicitly (EXPIRED) and leave the WAL.
   */
  async select (limits: { maxTxs: number, maxBytes: number }, height: number, batchTime: number): Promise<MempoolEntry[]> {
    const chosen = this.#selector.select(limits)
    const kept: MempoolEntry[] = []
    const expired: MempoolEntry[] = []
    for (const entry of chosen) {
      if (expiredAt(entry.tx.expiry, batchTime)) expired.push(entry)
      else if (height >= 0) { entry.state = 'proposed'; entry.proposedHeight = height; kept.push(entry) } else { entry.state = 'chunked'; kept.push(entry) }
    }
    if (expired.length > 0) {
      for (const entry of expired) {
        this.#remove(entry)
        this.#drop(entry.hashHex, 'expired', 'expired in the mempool before it was ordered')
      }
      await this.#forgetInWal(expired)
    }
    return kept
  }

  #remove (entry: MempoolEntry): void {
    if (this.#byHash.get(entry.hashHex) !== entry) return
    this.#byHash.delete(entry.hashHex)
    this.#account(this.#lanes.get(entry.lane)!, entry, -1)
  }

  /**
   * Takes waiting txs that are already in a chunk this member made before a restart (the
   * chunk came back with a stored pending block), so they are not packed a second time.
   */
  claim (hashHexes: Iterable<string>): MempoolEntry[] {
    const wanted = new Set(hashHexes)
    const claimed: MempoolEntry[] = []
    for (const lane of this.#laneList) {
      for (const entry of lane.queue.removeWhere((e) => wanted.has(e.hashHex))) {
        entry.state = 'chunked'
        claimed.push(entry)
      }
    }
    return claimed
  }

  /** Records that these txs' chunk is in a proposal at `height` (for status only). */
  markProposed (hashHexes: Iterable<string>, height: number): void {
    for (const hex of hashHexes) {
      const entry = this.#byHash.get(hex)
      if (entry === undefined || entry.state === 'logging' || entry.state === 'pending') continue
      entry.state = 'proposed'
      entry.proposedHeight = height
    }
    this.#proposed?.resolve()
    this.#proposed = null
  }

  /** Resolves at the next markProposed call (the packer's signal that a chunk of ours is in a proposal). */
  whenProposed (): Promise<void> {
    this.#proposed ??= Promise.withResolvers<void>()
    return this.#proposed.promise
  }

  /** Forgets txs, by hash, that are now final (wherever they were ordered from). */
  finalizeHashes (hashHexes: Iterable<string>): MempoolEntry[] {
    const done: MempoolEntry[] = []
    let bytes = 0
    for (const hex of hashHexes) {
      const entry = this.#byHash.get(hex)
      if (entry === undefined || entry.state === 'logging' || entry.state === 'pending') continue
      this.#remove(entry)
      done.push(entry)
      bytes += entry.size
    }
    this.#lag.recordFinal(done.length, this.now(), bytes)
    return done
  }

  /** Txs of a final batch that did not count because they had expired: rejected, out of the WAL. */
  async rejectExpired (hashHexes: string[]): Promise<void> {
    const entries = hashHexes.map((h) => this.#byHash.get(h)).filter((e): e is MempoolEntry => e !== undefined && e.state !== 'logging' && e.state !== 'pending')
    if (entries.length === 0) return
    for (const entry of entries) {
      this.#remove(entry)
      this.#drop(entry.hashHex, 'invalid', 'a final batch included it, but it had expired at that batch\'s timestamp')
    }
    await this.#forgetInWal(entries)
  }

  /**
   * Removes expired txs from the WAL. If that write fails (the store reports it: fault(),
   * its counters) they stay there and recovery rejects them again as expired at restart;
   * the selection or commit that found them must not fail with it.
   */
  async #forgetInWal (entries: MempoolEntry[]): Promise<void> {
    await this.store.walRemove(entries.map((e) => e.hash)).catch(() => {})
  }

  state (hashHex: string): MempoolTxState | null {
    const entry = this.#byHash.get(hashHex)
    if (entry !== undefined) {
      return entry.state === 'proposed' && entry.proposedHeight !== undefined && entry.proposedHeight >= 0
        ? { status: 'proposed', height: entry.proposedHeight }
        : { status: 'pending' }
    }
    const rejection: Rejection | undefined = this.#drops.get(hashHex) ?? this.#rejections.get(hashHex)
    return rejection === undefined ? null : { status: 'rejected', ...rejection }
  }

  /** Txs waiting to be selected (not those in flight in a proposal). */
  get waiting (): number {
    let n = 0
    for (const lane of this.#laneList) n += lane.queue.length
    return n
  }

  stats (): { txs: number, bytes: number, lanes: Array<{ id: number, name: string, txs: number, bytes: number }> } {
    return {
      txs: this.#txs,
      bytes: this.#bytes,
      lanes: this.#laneList.map((l) => ({ id: l.id, name: l.name, txs: l.txs, bytes: l.bytes }))
    }
  }

  /** Resolves when at least one tx is waiting for selection. */
  async whenWaiting (): Promise<void> {
    if (this.waiting > 0) return
    await new Promise<void>((resolve) => this.#waiters.push(resolve))
  }

  /** Wakes anyone blocked in whenWaiting (also used at shutdown). */
  wakeAll (): void {
    const waiters = this.#waiters
    this.#waiters = []
    for (const w of waiters) w()
  }

  #wake (): void {
    if (this.waiting > 0) this.wakeAll()
  }
}

function formatRate (perSec: number): string {
  return Number.isInteger(perSec) ? String(perSec) : perSec.toFixed(1)
}
