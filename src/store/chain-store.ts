/**
 * Level-backed persistence of the final chain, the mempool write-ahead log and the
 * consensus safety state. A final batch is written in one atomic level batch together
 * with its commit proof, its indexes, the removal of its txs from the WAL and the new
 * head, with sync: true; so after a crash either all of it is there or none of it is,
 * and a tx is in exactly one of the WAL or the chain.
 */
import { Level } from 'level'
import {
  decode, BatchSchema, CommitProofSchema, type Batch, type CommitProof
} from '../codec/index.js'
import {
  MetaKey, batchHashKey, batchKey, commitProofKey, metaKey, readU64, rollupHeightKey, safetyKey, txLocationKey, u64, walKey, Prefix, key, pendingBlockKey
} from './keys.js'
import { StoreError, StoreErrorCode } from './errors.js'

const STORE_FORMAT = 1

export interface ChainHead {
  height: number
  hash: Uint8Array
}

export interface TxLocation {
  height: number
  /** position of the tx in the batch's order */
  index: number
}

export interface FinalBatchRecord {
  height: number
  hash: Uint8Array
  batchBytes: Uint8Array
  /** encoded CommitProof: why this batch is final */
  commitProofBytes: Uint8Array
  txHashes: Uint8Array[]
  /** actions per rollup in this batch (rollups with none are left out) */
  rollupCounts: Array<{ rollupId: number, count: number }>
}

type Op = { type: 'put', key: Uint8Array, value: Uint8Array } | { type: 'del', key: Uint8Array }

export class ChainStore {
  readonly #db: Level<Uint8Array, Uint8Array>
  #head: ChainHead | null = null
  #closed = false

  private constructor (db: Level<Uint8Array, Uint8Array>) {
    this.#db = db
  }

  /** Opens (or creates) the database and checks it belongs to this genesis. */
  static async open (path: string, genesisHash: Uint8Array): Promise<ChainStore> {
    const db = new Level<Uint8Array, Uint8Array>(path, { keyEncoding: 'view', valueEncoding: 'view' })
    try {
      await db.open()
    } catch (err) {
      const cause = (err as Error & { cause?: { code?: string, message?: string } }).cause
      const why = cause?.code === 'LEVEL_LOCKED' ? 'another process is using it (is a node already running on this folder?)' : (cause?.message ?? (err as Error).message)
      throw new StoreError(StoreErrorCode.OPEN_FAILED, `cannot open database at ${path}: ${why}`)
    }
    const store = new ChainStore(db)
    try {
      await store.#checkIdentity(genesisHash)
      store.#head = await store.#loadHead()
    } catch (err) {
      await db.close()
      throw err
    }
    return store
  }

  async #checkIdentity (genesisHash: Uint8Array): Promise<void> {
    const stored = await this.#db.get(metaKey(MetaKey.genesis))
    if (stored === undefined) {
      const anyKey = await this.#db.keys({ limit: 1 }).all()
      if (anyKey.length > 0) throw new StoreError(StoreErrorCode.CORRUPT, 'database has data but no genesis record')
      await this.#db.batch([
        { type: 'put', key: metaKey(MetaKey.genesis), value: genesisHash },
        { type: 'put', key: metaKey(MetaKey.formatVersion), value: u64(STORE_FORMAT) }
      ], { sync: true })
      return
    }
    if (!Buffer.from(stored).equals(genesisHash)) {
      throw new StoreError(StoreErrorCode.WRONG_GENESIS, 'this data folder belongs to another genesis (chain); use a fresh folder')
    }
    const format = await this.#db.get(metaKey(MetaKey.formatVersion))
    if (format === undefined || format.length !== 8 || readU64(format) !== STORE_FORMAT) {
      throw new StoreError(StoreErrorCode.CORRUPT, 'unknown or missing store format version')
    }
  }

  async #loadHead (): Promise<ChainHead | null> {
    const raw = await this.#db.get(metaKey(MetaKey.head))
    if (raw === undefined) return null
    if (raw.length !== 40) throw new StoreError(StoreErrorCode.CORRUPT, 'head record has the wrong size')
    const head = { height: readU64(raw), hash: raw.slice(8) }
    const batch = await this.#db.get(batchKey(head.height))
    const cert = await this.#db.get(commitProofKey(head.height))
    if (batch === undefined || cert === undefined) {
      throw new StoreError(StoreErrorCode.CORRUPT, `head batch ${head.height} or its commit proof is missing`)
    }
    return head
  }

  head (): ChainHead | null {
    return this.#head
  }

  /** Atomically records a final batch and everything that depends on it (see file header). */
  async putFinalBatch (record: FinalBatchRecord): Promise<void> {
    this.#assertOpen()
    const expected = (this.#head?.height ?? -1) + 1
    if (record.height !== expected) {
      throw new StoreError(StoreErrorCode.NOT_CONTIGUOUS, `final batch height ${record.height} but the next height is ${expected}`)
    }
    const ops: Op[] = [
      { type: 'put', key: batchKey(record.height), value: record.batchBytes },
      { type: 'put', key: commitProofKey(record.height), value: record.commitProofBytes },
      { type: 'put', key: batchHashKey(record.hash), value: u64(record.height) }
    ]
    record.txHashes.forEach((hash, index) => {
      const location = new Uint8Array(16)
      location.set(u64(record.height), 0)
      location.set(u64(index), 8)
      ops.push({ type: 'put', key: txLocationKey(hash), value: location })
      ops.push({ type: 'del', key: walKey(hash) })
    })
    for (const { rollupId, count } of record.rollupCounts) {
      ops.push({ type: 'put', key: rollupHeightKey(rollupId, record.height), value: u64(count) })
    }
    ops.push({ type: 'del', key: pendingBlockKey(record.hash) })
    const head = new Uint8Array(40)
    head.set(u64(record.height), 0)
    head.set(record.hash, 8)
    ops.push({ type: 'put', key: metaKey(MetaKey.head), value: head })
    await this.#db.batch(ops, { sync: true })
    this.#head = { height: record.height, hash: record.hash }
  }

  async getBatchBytes (height: number): Promise<Uint8Array | null> {
    return (await this.#db.get(batchKey(height))) ?? null
  }

  async getBatch (height: number): Promise<Batch | null> {
    const bytes = await this.getBatchBytes(height)
    if (bytes === null) return null
    return this.#decodeStored(() => decode(BatchSchema, bytes), `batch ${height}`)
  }

  async getCommitProofBytes (height: number): Promise<Uint8Array | null> {
    return (await this.#db.get(commitProofKey(height))) ?? null
  }

  async getCommitProof (height: number): Promise<CommitProof | null> {
    const bytes = await this.getCommitProofBytes(height)
    if (bytes === null) return null
    return this.#decodeStored(() => decode(CommitProofSchema, bytes), `commit proof ${height}`)
  }

  async heightOfBatch (hash: Uint8Array): Promise<number | null> {
    const raw = await this.#db.get(batchHashKey(hash))
    return raw === undefined ? null : readU64(raw)
  }

  async txLocation (txHash: Uint8Array): Promise<TxLocation | null> {
    const raw = await this.#db.get(txLocationKey(txHash))
    if (raw === undefined) return null
    return { height: readU64(raw, 0), index: readU64(raw, 8) }
  }

  async txLocations (txHashes: Uint8Array[]): Promise<Array<TxLocation | null>> {
    if (txHashes.length === 0) return []
    const raws = await this.#db.getMany(txHashes.map(txLocationKey))
    return raws.map((raw) => raw === undefined ? null : { height: readU64(raw, 0), index: readU64(raw, 8) })
  }

  /** Highest final height holding actions of the rollup, or -1. */
  async latestRollupHeight (rollupId: number): Promise<number> {
    const keys = await this.#db.keys({
      gte: rollupHeightKey(rollupId, 0),
      lt: key(Prefix.rollupHeight, u64(rollupId + 1)),
      reverse: true,
      limit: 1
    }).all()
    const last = keys[0]
    return last === undefined ? -1 : readU64(last, 9)
  }

  /** Appends txs to the write-ahead log in one synced write (group commit). */
  async walAppend (entries: Array<{ hash: Uint8Array, bytes: Uint8Array }>): Promise<void> {
    this.#assertOpen()
    await this.#db.batch(entries.map((e) => ({ type: 'put' as const, key: walKey(e.hash), value: e.bytes })), { sync: true })
  }

  async walRemove (hashes: Uint8Array[]): Promise<void> {
    this.#assertOpen()
    await this.#db.batch(hashes.map((h) => ({ type: 'del' as const, key: walKey(h) })), { sync: true })
  }

  /** Every tx still in the WAL, in key order (the mempool re-admits them at start). */
  async walEntries (): Promise<Array<{ hash: Uint8Array, bytes: Uint8Array }>> {
    const out: Array<{ hash: Uint8Array, bytes: Uint8Array }> = []
    for await (const [k, v] of this.#db.iterator({ gte: key(Prefix.wal), lt: key(Prefix.wal + 1) })) {
      out.push({ hash: k.subarray(1), bytes: v })
    }
    return out
  }

  /**
   * Blocks this member accepted but that are not final yet (encoded BlockBundles). Without
   * them a committee that restarts as a whole would lose the block its high QC certifies.
   * Written without sync: the synced safety write that precedes any vote flushes them too.
   */
  async putPendingBlock (hash: Uint8Array, bytes: Uint8Array): Promise<void> {
    this.#assertOpen()
    await this.#db.put(pendingBlockKey(hash), bytes)
  }

  async deletePendingBlocks (hashes: Uint8Array[]): Promise<void> {
    if (hashes.length === 0) return
    await this.#db.batch(hashes.map((h) => ({ type: 'del' as const, key: pendingBlockKey(h) })))
  }

  async pendingBlocks (): Promise<Array<{ hash: Uint8Array, bytes: Uint8Array }>> {
    const out: Array<{ hash: Uint8Array, bytes: Uint8Array }> = []
    for await (const [k, v] of this.#db.iterator({ gte: key(Prefix.pendingBlock), lt: key(Prefix.pendingBlock + 1) })) out.push({ hash: k.subarray(1), bytes: v })
    return out
  }

  async getSafetyState (): Promise<Uint8Array | null> {
    return (await this.#db.get(safetyKey())) ?? null
  }

  /** Written with sync: true before any vote leaves the node. */
  async putSafetyState (bytes: Uint8Array): Promise<void> {
    this.#assertOpen()
    await this.#db.put(safetyKey(), bytes, { sync: true })
  }

  async close (): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    await this.#db.close()
  }

  #assertOpen (): void {
    if (this.#closed) throw new StoreError(StoreErrorCode.CLOSED, 'store is closed')
  }

  #decodeStored<T> (fn: () => T, what: string): T {
    try {
      return fn()
    } catch (err) {
      throw new StoreError(StoreErrorCode.CORRUPT, `stored ${what} does not decode: ${(err as Error).message}`)
    }
  }
}
