/**
 * Level-backed persistence of the final chain, the mempool write-ahead log and the
 * consensus safety state. A final batch is written in one atomic level batch together
 * with its commit proof, its indexes, the removal of its txs from the WAL and the new
 * head; so after a crash either all of it is there or none of it is, and a tx is in
 * exactly one of the WAL or the chain.
 *
 * Final batches and pending blocks are written behind, grouped and without sync: the call
 * records them in memory at once (every read below sees them, the head moves) and returns
 * the promise of the level write, which the consensus path does not wait for. All that was
 * handed in up to then goes to level in one batch at the next turn of the event loop, or
 * with the next safety state, whichever comes first: the safety state is written with
 * sync: true together with everything queued before it, so one fsync per vote carries it
 * all. Writes go to level one group at a time, in the order they were handed in.
 *
 * A crash before a group is written (or an OS crash before the next fsync) can take back
 * the last final batches and pending blocks; they are final all the same (their commit
 * proofs are held by the other members), and the restarted member gets them back from its
 * pending blocks and the next QCs or through catch-up sync from a peer, byte for byte
 * (test/store/lost-final-batches.test.ts, test/ordering/final-write-behind.test.ts).
 * Safety never depends on them: what a vote needs is the safety state (docs/PROTOCOL.md,
 * "What is durable before a vote").
 *
 * A write that fails (ENOSPC, EIO, ...) is not lost and does not wedge the store: the group
 * stays first in line and is written again with backoff (RETRY_*_MS) until it goes
 * through, and the groups handed in after it wait behind it, in order; `fault()` says what
 * is failing since when, `writeFailures` counts failures per write path. A safety write
 * therefore resolves only once it is on disk, so no vote leaves without it: a member whose
 * disk fails stops voting where it stands and goes on, with nothing dropped, when the disk
 * is back (docs/PROTOCOL.md, "When a write fails"). WAL writes are not retried: the
 * mempool answers the submitter with the error. `StoreFaults` (fault-injection.ts) makes
 * writes fail or wait on purpose in tests and dev runs.
 *
 * Nothing read back is trusted blindly: level's own Corruption and I/O errors, values that
 * do not decode or have the wrong size, and a batch whose header or chunks no longer hash
 * to what the indexes say all raise StoreCorruptError naming the folder; the node refuses
 * to start on them and the API answers 500 STORE_CORRUPT instead of serving the bytes.
 * integrity.ts checks the records against each other (recent heights at every start, all
 * of them with `seqnode check`).
 */
import { readdir } from 'node:fs/promises'
import { Level } from 'level'
import type { Logger } from 'pino'
import { batchHash, chunkDigest } from '../batch/index.js'
import {
  decode, BatchSchema, CommitProofSchema, type Batch, type CommitProof
} from '../codec/index.js'
import { bytesToHex, equalBytes } from '../crypto/index.js'
import {
  MetaKey, batchHashKey, batchKey, commitProofKey, metaKey, readU64, rollupHeightKey, safetyKey, txLocationKey, u64, walKey, Prefix, key, pendingBlockKey
} from './keys.js'
import { backoffDelay, sleep } from '../util/index.js'
import { StoreCorruptError, StoreError, StoreErrorCode, StoreWriteError, writeFaultCode } from './errors.js'
import { STORE_WRITE_PATHS, type StoreFaults, type StoreWritePath } from './fault-injection.js'

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

/** Writes handed in since the last level write, and the promise of theirs. */
interface WriteGroup {
  ops: Op[]
  finals: FinalBatchRecord[]
  /** what the ops hold (fault reporting, fault injection) */
  paths: Set<StoreWritePath>
  written: Promise<void>
  settle: (err: Error | null) => void
}

/** A write path that is failing: what the OS said, and since when. */
export interface StoreFault {
  /** ENOSPC, EIO, EROFS, EDQUOT, or LEVEL_IO_ERROR / UNKNOWN when nothing more precise is known */
  code: string
  path: StoreWritePath
  /** unix ms of the first failure of this run */
  since: number
  message: string
}

/** First retry of a failed group after this long, doubling up to RETRY_MAX_MS: a disk that is back is used within 2 s. */
const RETRY_FIRST_MS = 50
const RETRY_MAX_MS = 2_000
/** the path a failed group is reported under: the most important one it holds */
const PATH_ORDER: StoreWritePath[] = ['safety', 'final', 'rollupHeights', 'pending', 'wal']
const WAL_PATHS: ReadonlySet<StoreWritePath> = new Set(['wal'])

/**
 * A voting member's write-behind hold: under load its next safety write (one per round,
 * synced anyway) comes within this and carries the queued final batches, so a round costs
 * one level write instead of a synced one plus an unsynced one (~60 µs of CPU and a
 * thread-pool hop each). An idle member's groups go when the hold ends. Followers keep 0:
 * they have no safety writes, and their intake waits for each height's write.
 */
export const MEMBER_WRITE_BEHIND_MS = 25

export interface ChainStoreOptions {
  mustExist?: boolean
  /**
   * How long queued final batches and pending blocks may wait for a safety write before
   * they are written on their own. 0 = the next turn of the event loop (default: nothing
   * waits long, and a burst of commits still goes as one group). Tests hold them longer to
   * make a crash land between a vote and the final-batch write; members use
   * MEMBER_WRITE_BEHIND_MS.
   */
  writeBehindMs?: number
  /** fail or slow writes on purpose (tests and dev runs only; fault-injection.ts) */
  faults?: StoreFaults
  /** where failing and recovered writes are logged */
  logger?: Pick<Logger, 'error' | 'warn'>
}

/** Synced (fsynced) level writes of one store, by what they hold; the node's /metrics reads them. */
export interface StoreSyncWrites { meta: number, wal: number, safety: number }

/** Files only a LevelDB folder has; with any of them but no CURRENT the folder lost its root. */
const LEVEL_FILE = /^(LOG|LOG\.old|LOCK|MANIFEST-\d+|\d+\.(ldb|sst|log))$/

/** level's codes for a folder whose files are damaged, missing or unreadable */
const DAMAGE_CODES = new Set(['LEVEL_CORRUPTION', 'LEVEL_IO_ERROR'])

type LevelFailure = Error & { code?: string, cause?: { code?: string, message?: string } }

function asLevelFailure (err: unknown): LevelFailure | null {
  return err !== null && typeof err === 'object' ? err as LevelFailure : null
}

function levelDamage (err: unknown): string | null {
  const e = asLevelFailure(err)
  if (e === null) return null
  if (e.code !== undefined && DAMAGE_CODES.has(e.code)) return e.message
  if (e.cause?.code !== undefined && DAMAGE_CODES.has(e.cause.code)) return e.cause.message ?? e.message
  // LevelDB reports a lost MANIFEST as "IO error" and a missing table as "Corruption" without a code on some paths.
  const text = e.cause?.message ?? e.message ?? ''
  return /^(Corruption|IO error):/.test(text) ? text : null
}

/** A held lock is LevelDB's "IO error: lock ...": a busy folder, not a damaged one. */
function isLocked (err: unknown): boolean {
  const e = asLevelFailure(err)
  if (e === null) return false
  return e.code === 'LEVEL_LOCKED' || e.cause?.code === 'LEVEL_LOCKED' || /^IO error: lock /.test(e.cause?.message ?? e.message ?? '')
}

async function folderState (path: string): Promise<'fresh' | 'database' | 'no-current'> {
  let names: string[]
  try {
    names = await readdir(path)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'fresh'
    throw err
  }
  if (names.includes('CURRENT')) return 'database'
  return names.some((n) => LEVEL_FILE.test(n)) ? 'no-current' : 'fresh'
}

export class ChainStore {
  readonly #db: Level<Uint8Array, Uint8Array>
  #head: ChainHead | null = null
  #closed = false
  /** every write with sync: true, counted by a plain increment (the fsync costs ~0.2-0.8 ms) */
  readonly syncWrites: StoreSyncWrites = { meta: 0, wal: 0, safety: 0 }
  /** the group being filled; null when nothing is queued */
  #group: WriteGroup | null = null
  #groupTimer: NodeJS.Timeout | null = null
  /** the level writes of the groups, one after the other */
  #writes: Promise<void> = Promise.resolve()
  #writeError: Error | null = null
  /** final batches handed in but not yet written, by height, and their indexes (reads go through them) */
  readonly #unwritten = new Map<number, FinalBatchRecord>()
  readonly #unwrittenTx = new Map<string, TxLocation>()
  readonly #unwrittenHash = new Map<string, number>()
  readonly #faults: StoreFaults | null
  /** failing write paths, by path */
  readonly #active = new Map<StoreWritePath, StoreFault>()
  /** failed level writes, by the paths they held (the node's /metrics reads them) */
  readonly writeFailures = Object.fromEntries(STORE_WRITE_PATHS.map((p) => [p, 0])) as Record<StoreWritePath, number>
  /** set once failing writes are given up (closing): what is not written stays unwritten */
  #abandoned = false
  #wakeRetry: (() => void) | null = null

  private readonly logger: Pick<Logger, 'error' | 'warn'> | null

  private constructor (db: Level<Uint8Array, Uint8Array>, readonly dir: string, private readonly writeBehindMs: number, opts: ChainStoreOptions) {
    this.#db = db
    this.#faults = opts.faults ?? null
    this.logger = opts.logger ?? null
  }

  /**
   * Opens (or creates, unless `mustExist`) the database and checks it belongs to this
   * genesis and that its head is there; integrity.ts checks the rest.
   */
  static async open (path: string, genesisHash: Uint8Array, opts: ChainStoreOptions = {}): Promise<ChainStore> {
    // LevelDB with createIfMissing would silently start an empty database in a folder whose
    // CURRENT file is gone (and later delete the orphaned tables): refuse that instead.
    const state = await folderState(path)
    if (state === 'no-current') throw new StoreCorruptError(path, 'the LevelDB CURRENT file is missing but the folder holds database files')
    if (state === 'fresh' && opts.mustExist === true) throw new StoreError(StoreErrorCode.OPEN_FAILED, `there is no database in ${path}`)
    const db = new Level<Uint8Array, Uint8Array>(path, { keyEncoding: 'view', valueEncoding: 'view', createIfMissing: state === 'fresh' })
    try {
      await db.open()
    } catch (err) {
      if (isLocked(err)) throw new StoreError(StoreErrorCode.OPEN_FAILED, `cannot open database at ${path}: another process is using it (is a node already running on this folder?)`)
      const damage = levelDamage(err)
      if (damage !== null) throw new StoreCorruptError(path, `level cannot open it: ${damage}`)
      const cause = (err as Error & { cause?: { message?: string } }).cause
      throw new StoreError(StoreErrorCode.OPEN_FAILED, `cannot open database at ${path}: ${cause?.message ?? (err as Error).message}`)
    }
    const store = new ChainStore(db, path, opts.writeBehindMs ?? 0, opts)
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
    const stored = await this.#get(metaKey(MetaKey.genesis))
    if (stored === undefined) {
      const anyKey = await this.#read(() => this.#db.keys({ limit: 1 }).all())
      if (anyKey.length > 0) throw this.corrupt('the database has data but no genesis record')
      await this.#db.batch([
        { type: 'put', key: metaKey(MetaKey.genesis), value: genesisHash },
        { type: 'put', key: metaKey(MetaKey.formatVersion), value: u64(STORE_FORMAT) }
      ], { sync: true })
      this.syncWrites.meta++
      return
    }
    if (!Buffer.from(stored).equals(genesisHash)) {
      throw new StoreError(StoreErrorCode.WRONG_GENESIS, `the data folder ${this.dir} belongs to another genesis (chain); use a fresh folder`)
    }
    const format = await this.#get(metaKey(MetaKey.formatVersion))
    if (format === undefined || format.length !== 8 || readU64(format) !== STORE_FORMAT) {
      throw this.corrupt('unknown or missing store format version')
    }
  }

  async #loadHead (): Promise<ChainHead | null> {
    const raw = await this.#get(metaKey(MetaKey.head))
    if (raw === undefined) {
      if (await this.#get(batchKey(0)) !== undefined) throw this.corrupt('batches are stored but the head record is missing')
      return null
    }
    if (raw.length !== 40) throw this.corrupt('head record has the wrong size')
    const head = { height: readU64(raw), hash: raw.slice(8) }
    const batch = await this.#get(batchKey(head.height))
    const cert = await this.#get(commitProofKey(head.height))
    if (batch === undefined || cert === undefined) {
      throw this.corrupt(`head batch ${head.height} or its commit proof is missing`)
    }
    return head
  }

  head (): ChainHead | null {
    return this.#head
  }

  /**
   * Records a final batch and everything that depends on it, atomically (see the file
   * header): reads see it and the head moves at once; the promise resolves when it is in
   * level (written behind, with the group it joined).
   */
  putFinalBatch (record: FinalBatchRecord): Promise<void> {
    try {
      this.#assertWritable()
    } catch (err) {
      return Promise.reject(err)
    }
    const expected = (this.#head?.height ?? -1) + 1
    if (record.height !== expected) {
      return Promise.reject(new StoreError(StoreErrorCode.NOT_CONTIGUOUS, `final batch height ${record.height} but the next height is ${expected}`))
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
      this.#unwrittenTx.set(bytesToHex(hash), { height: record.height, index })
    })
    for (const { rollupId, count } of record.rollupCounts) {
      ops.push({ type: 'put', key: rollupHeightKey(rollupId, record.height), value: u64(count) })
    }
    const paths: StoreWritePath[] = record.rollupCounts.length > 0 ? ['final', 'rollupHeights'] : ['final']
    ops.push({ type: 'del', key: pendingBlockKey(record.hash) })
    const head = new Uint8Array(40)
    head.set(u64(record.height), 0)
    head.set(record.hash, 8)
    ops.push({ type: 'put', key: metaKey(MetaKey.head), value: head })
    this.#unwritten.set(record.height, record)
    this.#unwrittenHash.set(bytesToHex(record.hash), record.height)
    this.#head = { height: record.height, hash: record.hash }
    return this.#queue(ops, paths, record)
  }

  /** Resolves when everything handed in so far is in level (rejects if a write failed). */
  async flushed (): Promise<void> {
    this.#writeGroup(false)
    await this.#writes
    if (this.#writeError !== null) throw this.#writeError
  }

  async getBatchBytes (height: number): Promise<Uint8Array | null> {
    const unwritten = this.#unwritten.get(height)
    if (unwritten !== undefined) return unwritten.batchBytes
    return (await this.#get(batchKey(height))) ?? null
  }

  /**
   * The final batch at `height`, checked against itself and the hash index before it is
   * handed out: its header says this height, its chunks hash to the header's digests and
   * the header hashes to the batch hash indexed at this height. A flipped byte in any of
   * them (LevelDB does not checksum reads) raises StoreCorruptError.
   */
  async getBatch (height: number): Promise<Batch | null> {
    const bytes = await this.getBatchBytes(height)
    if (bytes === null) return null
    const batch = this.#decodeStored(() => decode(BatchSchema, bytes), `batch ${height}`)
    const { header } = batch
    if (header.height !== height) throw this.corrupt(`batch ${height} says height ${header.height}`)
    if (batch.chunks.length !== header.chunkDigests.length || batch.chunks.some((c, i) => !equalBytes(chunkDigest(header.chainId, c), header.chunkDigests[i]!))) {
      throw this.corrupt(`the chunks of batch ${height} do not hash to its header's digests`)
    }
    if (await this.heightOfBatch(batchHash(header)) !== height) {
      throw this.corrupt(`the header of batch ${height} does not hash to the batch hash indexed at that height`)
    }
    return batch
  }

  async getCommitProofBytes (height: number): Promise<Uint8Array | null> {
    const unwritten = this.#unwritten.get(height)
    if (unwritten !== undefined) return unwritten.commitProofBytes
    return (await this.#get(commitProofKey(height))) ?? null
  }

  async getCommitProof (height: number): Promise<CommitProof | null> {
    const bytes = await this.getCommitProofBytes(height)
    if (bytes === null) return null
    return this.#decodeStored(() => decode(CommitProofSchema, bytes), `commit proof ${height}`)
  }

  async heightOfBatch (hash: Uint8Array): Promise<number | null> {
    const unwritten = this.#unwrittenHash.get(bytesToHex(hash))
    if (unwritten !== undefined) return unwritten
    const raw = await this.#get(batchHashKey(hash))
    return raw === undefined ? null : this.#u64Value(raw, 'batch hash index entry')
  }

  async txLocation (txHash: Uint8Array): Promise<TxLocation | null> {
    const unwritten = this.#unwrittenTx.get(bytesToHex(txHash))
    if (unwritten !== undefined) return unwritten
    const raw = await this.#get(txLocationKey(txHash))
    return raw === undefined ? null : this.#location(raw)
  }

  async txLocations (txHashes: Uint8Array[]): Promise<Array<TxLocation | null>> {
    if (txHashes.length === 0) return []
    // Looked up before the read as well as after it: a group written while getMany runs
    // leaves this map before the read can see it, and the tx would seem to be nowhere.
    const hexes = txHashes.map(bytesToHex)
    const before = hexes.map((hex) => this.#unwrittenTx.get(hex))
    const raws = await this.#read(() => this.#db.getMany(txHashes.map(txLocationKey)))
    return raws.map((raw, i) => before[i] ?? this.#unwrittenTx.get(hexes[i]!) ?? (raw === undefined ? null : this.#location(raw)))
  }

  /** txLocations on the calling thread (see txLocationSync): the payload of every proposal. */
  txLocationsSync (txHashes: Uint8Array[]): Array<TxLocation | null> {
    return txHashes.map((hash) => this.txLocationSync(hash))
  }

  /**
   * txLocation on the calling thread: the mempool's duplicate check of every submitted tx.
   * A miss is a bloom-filter probe (~1 µs); the async get costs a thread-pool round trip
   * that profiled at ~10 % of an ingress member's time at 1000 tx/s.
   */
  txLocationSync (txHash: Uint8Array): TxLocation | null {
    const unwritten = this.#unwrittenTx.get(bytesToHex(txHash))
    if (unwritten !== undefined) return unwritten
    let raw: Uint8Array | undefined
    try {
      raw = this.#db.getSync(txLocationKey(txHash))
    } catch (err) {
      this.#rethrowRead(err)
    }
    return raw === undefined ? null : this.#location(raw)
  }

  /** Highest final height holding actions of the rollup, or -1. */
  async latestRollupHeight (rollupId: number): Promise<number> {
    let unwritten = -1
    for (const [height, record] of this.#unwritten) if (height > unwritten && record.rollupCounts.some((r) => r.rollupId === rollupId)) unwritten = height
    if (unwritten >= 0) return unwritten
    const keys = await this.#read(() => this.#db.keys({
      gte: rollupHeightKey(rollupId, 0),
      lt: key(Prefix.rollupHeight, u64(rollupId + 1)),
      reverse: true,
      limit: 1
    }).all())
    const last = keys[0]
    return last === undefined ? -1 : readU64(last, 9)
  }

  /** Actions of the rollup at a final height as indexed, or null when the index has none. */
  async rollupCountAt (rollupId: number, height: number): Promise<number | null> {
    const unwritten = this.#unwritten.get(height)
    if (unwritten !== undefined) return unwritten.rollupCounts.find((r) => r.rollupId === rollupId)?.count ?? null
    const raw = await this.#get(rollupHeightKey(rollupId, height))
    return raw === undefined ? null : this.#u64Value(raw, 'rollup index entry')
  }

  /** Appends txs to the write-ahead log in one synced write (group commit). */
  async walAppend (entries: Array<{ hash: Uint8Array, bytes: Uint8Array }>): Promise<void> {
    await this.#walWrite(entries.map((e) => ({ type: 'put' as const, key: walKey(e.hash), value: e.bytes })))
  }

  async walRemove (hashes: Uint8Array[]): Promise<void> {
    await this.#walWrite(hashes.map((h) => ({ type: 'del' as const, key: walKey(h) })))
  }

  /** One synced WAL write; a failure is the caller's (the mempool answers its submitter), and is reported. */
  async #walWrite (ops: Op[]): Promise<void> {
    this.#assertOpen()
    try {
      await this.#faults?.beforeWrite(WAL_PATHS)
      await this.#db.batch(ops, { sync: true })
    } catch (err) {
      throw this.#failed(WAL_PATHS, err)
    }
    this.#recovered(WAL_PATHS)
    this.syncWrites.wal++
  }

  /** Every tx still in the WAL, in key order (the mempool re-admits them at start). */
  async walEntries (): Promise<Array<{ hash: Uint8Array, bytes: Uint8Array }>> {
    await this.flushed()
    return await this.entriesOf(Prefix.wal)
  }

  /**
   * Blocks this member accepted but that are not final yet (encoded BlockBundles). Without
   * them a committee that restarts as a whole would lose the block its high QC certifies.
   * Written behind like final batches: the synced safety write that precedes any vote
   * carries them too.
   */
  putPendingBlock (hash: Uint8Array, bytes: Uint8Array): Promise<void> {
    return this.#queueOrReject([{ type: 'put', key: pendingBlockKey(hash), value: bytes }], ['pending'])
  }

  deletePendingBlocks (hashes: Uint8Array[]): Promise<void> {
    if (hashes.length === 0) return Promise.resolve()
    return this.#queueOrReject(hashes.map((h) => ({ type: 'del' as const, key: pendingBlockKey(h) })), ['pending'])
  }

  async pendingBlocks (): Promise<Array<{ hash: Uint8Array, bytes: Uint8Array }>> {
    await this.flushed()
    return await this.entriesOf(Prefix.pendingBlock)
  }

  async getSafetyState (): Promise<Uint8Array | null> {
    return (await this.#get(safetyKey())) ?? null
  }

  /**
   * Written with sync: true before any vote leaves the node. Resolves only once it is on
   * disk: while writes fail, it waits for the retries (the member does not vote meanwhile).
   */
  async putSafetyState (bytes: Uint8Array): Promise<void> {
    this.#assertWritable()
    this.#enqueue(['safety'], { type: 'put', key: safetyKey(), value: bytes })
    this.#writeGroup(true)
    await this.#writes
    if (this.#writeError !== null) throw this.#writeError
    this.syncWrites.safety++
  }

  /** Every record under one key prefix, key without the prefix byte, in key order (integrity checks). */
  async entriesOf (prefix: number, range: { gt?: Uint8Array } = {}): Promise<Array<{ hash: Uint8Array, bytes: Uint8Array }>> {
    const out: Array<{ hash: Uint8Array, bytes: Uint8Array }> = []
    const gt = range.gt === undefined ? undefined : key(prefix, range.gt)
    await this.#read(async () => {
      for await (const [k, v] of this.#db.iterator({ ...(gt === undefined ? { gte: key(prefix) } : { gt }), lt: key(prefix + 1) })) out.push({ hash: k.subarray(1), bytes: v })
    })
    return out
  }

  /** Number of keys per first byte over the whole database: one full read (integrity checks). */
  async countKeysByPrefix (): Promise<Map<number, number>> {
    const counts = new Map<number, number>()
    await this.#read(async () => {
      for await (const k of this.#db.keys()) counts.set(k[0]!, (counts.get(k[0]!) ?? 0) + 1)
    })
    return counts
  }

  /** The oldest write path that is failing now, or null when every write goes through. */
  fault (): StoreFault | null {
    let oldest: StoreFault | null = null
    for (const path of PATH_ORDER) {
      const fault = this.#active.get(path)
      if (fault !== undefined && (oldest === null || fault.since < oldest.since)) oldest = fault
    }
    return oldest
  }

  /** Every write path failing now (the metrics gauge). */
  faultedPaths (): StoreWritePath[] {
    return [...this.#active.keys()]
  }

  /**
   * Stops retrying failing writes (no effect while writes go through): what is not written
   * stays unwritten, as in a crash, and the writes waiting for it fail with STORE_CLOSED.
   * The node calls it when it shuts down, so a dead disk cannot hold the shutdown.
   */
  abandonFailingWrites (): void {
    if (this.#active.size === 0 || [...this.#active.keys()].every((p) => p === 'wal')) return
    this.#abandoned = true
    this.#writeError ??= new StoreError(StoreErrorCode.CLOSED, `gave up writing to ${this.dir} while its writes were failing`)
    this.#wakeRetry?.()
  }

  /** A StoreCorruptError about this folder. */
  corrupt (problem: string): StoreCorruptError {
    return new StoreCorruptError(this.dir, problem)
  }

  /** Writes what is queued, then closes. */
  async close (): Promise<void> {
    if (this.#closed) return
    this.abandonFailingWrites()
    await this.flushed().catch(() => {})
    this.#closed = true
    await this.#db.close()
  }

  /**
   * Closes as a crash would: what is queued and not yet written is dropped (the number of
   * final batches among it is returned). For crash tests.
   */
  async closeDroppingQueued (): Promise<number> {
    if (this.#closed) return 0
    this.#closed = true
    const dropped = this.#group?.finals.length ?? 0
    this.#group = null
    if (this.#groupTimer !== null) clearTimeout(this.#groupTimer)
    this.abandonFailingWrites()
    await this.#writes
    await this.#db.close()
    return dropped
  }

  #assertOpen (): void {
    if (this.#closed) throw new StoreError(StoreErrorCode.CLOSED, 'store is closed')
  }

  #assertWritable (): void {
    this.#assertOpen()
    if (this.#writeError !== null) throw this.#writeError
  }

  #queueOrReject (ops: Op[], paths: StoreWritePath[]): Promise<void> {
    try {
      this.#assertWritable()
    } catch (err) {
      return Promise.reject(err)
    }
    return this.#queue(ops, paths, null)
  }

  /** Adds ops to the group being filled (written on the next turn, or with the next safety state). */
  #queue (ops: Op[], paths: StoreWritePath[], final: FinalBatchRecord | null): Promise<void> {
    const group = this.#enqueue(paths, ...ops)
    if (final !== null) group.finals.push(final)
    if (this.#groupTimer === null) {
      this.#groupTimer = setTimeout(() => {
        this.#groupTimer = null
        this.#writeGroup(false)
      }, this.writeBehindMs)
    }
    return group.written
  }

  #enqueue (paths: StoreWritePath[], ...ops: Op[]): WriteGroup {
    if (this.#group === null) {
      let settle!: (err: Error | null) => void
      const written = new Promise<void>((resolve, reject) => { settle = (err) => err === null ? resolve() : reject(err) })
      // Nobody has to wait for a group: a group fails only when given up, which every later write reports.
      written.catch(() => {})
      this.#group = { ops: [], finals: [], paths: new Set(), written, settle }
    }
    this.#group.ops.push(...ops)
    for (const path of paths) this.#group.paths.add(path)
    return this.#group
  }

  /** Hands the group being filled to level, after the groups before it. */
  #writeGroup (sync: boolean): void {
    const group = this.#group
    if (group === null) return
    this.#group = null
    if (this.#groupTimer !== null) {
      clearTimeout(this.#groupTimer)
      this.#groupTimer = null
    }
    this.#writes = this.#writes.then(async () => {
      // A failed write is tried again, first in line, until it goes through or is given up.
      for (let attempt = 0; ; attempt++) {
        if (this.#writeError !== null) return group.settle(this.#writeError)
        try {
          await this.#faults?.beforeWrite(group.paths)
          await this.#db.batch(group.ops, { sync })
          break
        } catch (err) {
          const failure = this.#failed(group.paths, err)
          this.logger?.error({ err: failure, attempt, unwrittenFinalBatches: this.#unwritten.size }, 'a store write failed; retrying')
          await this.#backoff(attempt)
        }
      }
      this.#recovered(group.paths)
      for (const record of group.finals) {
        this.#unwritten.delete(record.height)
        this.#unwrittenHash.delete(bytesToHex(record.hash))
        for (const hash of record.txHashes) this.#unwrittenTx.delete(bytesToHex(hash))
      }
      group.settle(null)
    })
  }

  /** Records a failed write of `paths`; the error to hand on. */
  #failed (paths: ReadonlySet<StoreWritePath>, err: unknown): StoreWriteError {
    const code = writeFaultCode(err)
    const message = (err as Error).message ?? String(err)
    const named = (err as { path?: unknown }).path
    const path = typeof named === 'string' && paths.has(named as StoreWritePath) ? named as StoreWritePath : PATH_ORDER.find((p) => paths.has(p))!
    for (const p of paths) {
      this.writeFailures[p]++
      // every path of the failed write is failing; the one reported is the one named first
      if (!this.#active.has(p)) this.#active.set(p, { code, path, since: Date.now(), message })
    }
    return new StoreWriteError(this.dir, path, code, message)
  }

  #recovered (paths: ReadonlySet<StoreWritePath>): void {
    if (this.#active.size === 0) return
    for (const p of paths) {
      if (this.#active.delete(p)) this.logger?.warn({ path: p }, 'store writes go through again')
    }
  }

  /** Waits before the next try of a failed write; cut short when writes are given up. */
  async #backoff (attempt: number): Promise<void> {
    if (this.#abandoned) return
    await sleep(backoffDelay(attempt, RETRY_FIRST_MS, RETRY_MAX_MS), undefined, (wake) => { this.#wakeRetry = wake })
    this.#wakeRetry = null
  }

  async #get (k: Uint8Array): Promise<Uint8Array | undefined> {
    return await this.#read(() => this.#db.get(k))
  }

  /** Runs a read; level's Corruption and I/O errors become StoreCorruptError. */
  async #read<T> (fn: () => Promise<T>): Promise<T> {
    try {
      return await fn()
    } catch (err) {
      this.#rethrowRead(err)
    }
  }

  #rethrowRead (err: unknown): never {
    const damage = levelDamage(err)
    if (damage !== null) throw this.corrupt(`level cannot read it: ${damage}`)
    throw err
  }

  #u64Value (raw: Uint8Array, what: string): number {
    if (raw.length !== 8) throw this.corrupt(`a ${what} has ${raw.length} bytes instead of 8`)
    return readU64(raw)
  }

  #location (raw: Uint8Array): TxLocation {
    if (raw.length !== 16) throw this.corrupt(`a tx location has ${raw.length} bytes instead of 16`)
    return { height: readU64(raw, 0), index: readU64(raw, 8) }
  }

  #decodeStored<T> (fn: () => T, what: string): T {
    try {
      return fn()
    } catch (err) {
      throw this.corrupt(`stored ${what} does not decode: ${(err as Error).message}`)
    }
  }
}
