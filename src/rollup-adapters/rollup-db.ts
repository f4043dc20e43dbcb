/**
 * The level database of one built-in rollup: its identity (chain, rollup, genesis), its
 * commitment, its state entries and its receipts per height. Every height's state changes,
 * receipts and new commitment go in ONE level batch, so after a crash the folder holds
 * either all of a height or none of it (docs/ROLLUPS.md).
 *
 * Heights are not fsynced one by one: the height's batch is handed to the OS (it survives a
 * process crash), every SYNC_EVERY_HEIGHTS-th one and the last one at close are synced, and
 * an empty height (same state, same root) writes nothing: its commitment goes out with the
 * next batch. After an OS crash the folder may hold an earlier height than the runner had
 * reached; the runner then executes the missing heights again from the final chain, which
 * gives the same roots (execution is deterministic) and, since those heights' effects were
 * lost with them, still applies each height once to the stored state.
 *
 * Keys: 0x01 0x01 identity hash | 0x01 0x02 commitment | 0x02 || state key | 0x03 || u64 height
 */
import { mkdir } from 'node:fs/promises'
import { Level } from 'level'
import { decode, encode } from '../codec/index.js'
// The schema combinators are not re-exported by codec/index.ts; the rollup formats use them too.
import { bytes, list, literal, record, string, uint } from '../codec/schema.js'
import { equalBytes, sha256 } from '../crypto/index.js'
import { RollupError, RollupErrorCode } from './errors.js'
import type { Commitment, Receipt } from './types.js'

const IDENTITY_KEY = Uint8Array.of(0x01, 0x01)
const COMMITMENT_KEY = Uint8Array.of(0x01, 0x02)
const STATE_PREFIX = 0x02
const RECEIPTS_PREFIX = 0x03

const CommitmentRecordSchema = record('RollupCommitment', {
  version: literal(1),
  /** executed height + 1, so "nothing executed yet" is 0 */
  nextHeight: uint,
  stateRoot: bytes({ length: 32 })
})

const ReceiptSchema = record('Receipt', { txHash: bytes({ length: 32 }), actionIndex: uint, code: string(64) })
const ReceiptListSchema = record('Receipts', { version: literal(1), receipts: list(ReceiptSchema, { max: 16 * 1024 * 1024 }) })

const IdentitySchema = record('RollupIdentity', {
  version: literal(1),
  kind: string(32),
  chainId: string(255),
  rollupId: uint,
  genesis: bytes({})
})

/** What a rollup folder is bound to: SHA-256 of [1, kind, chainId, rollupId, encoded genesis]. */
export function rollupIdentity (kind: string, chainId: string, rollupId: number, genesis: Uint8Array): Uint8Array {
  return sha256(encode(IdentitySchema, { version: 1, kind, chainId, rollupId, genesis }))
}

function prefixed (prefix: number, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(1 + body.length)
  out[0] = prefix
  out.set(body, 1)
  return out
}

function receiptsKey (height: number): Uint8Array {
  const body = new Uint8Array(8)
  new DataView(body.buffer).setBigUint64(0, BigInt(height))
  return prefixed(RECEIPTS_PREFIX, body)
}

export interface HeightWrite {
  commitment: Commitment
  /** state entries to write; a null value deletes the key */
  state: Array<{ key: Uint8Array, value: Uint8Array | null }>
  /** stored only when non-empty (receipts() gives [] for an executed height without any) */
  receipts: Receipt[]
}

type Op = { type: 'put', key: Uint8Array, value: Uint8Array } | { type: 'del', key: Uint8Array }

/** Synced (fsynced) writes of every rollup folder in this process; the node's /metrics reads it. */
export const rollupSyncWrites = { count: 0 }

/** one fsync per this many written heights bounds what an OS crash can take back (a process crash takes nothing) */
export const SYNC_EVERY_HEIGHTS = 64

export class RollupDb {
  #commitment: Commitment | null = null
  #closed = false
  /** the commitment moved (empty heights) without a write */
  #commitmentUnwritten = false
  /** height batches written since the last synced one */
  #unsynced = 0

  private constructor (private readonly db: Level<Uint8Array, Uint8Array>, private readonly identity: Uint8Array) {}

  /** Opens or creates the folder; a folder made for another identity is refused. */
  static async open (dir: string, identity: Uint8Array): Promise<RollupDb> {
    const db = new Level<Uint8Array, Uint8Array>(dir, { keyEncoding: 'view', valueEncoding: 'view' })
    try {
      await mkdir(dir, { recursive: true })
      await db.open()
    } catch (err) {
      const cause = (err as Error & { cause?: { code?: string, message?: string } }).cause
      const why = cause?.code === 'LEVEL_LOCKED' ? 'another process or executor is using it' : (cause?.message ?? (err as Error).message)
      throw new RollupError(RollupErrorCode.STORE, `cannot open rollup database at ${dir}: ${why}`, { cause: err })
    }
    const store = new RollupDb(db, identity)
    try {
      await store.#load()
    } catch (err) {
      await db.close()
      throw err
    }
    return store
  }

  async #load (): Promise<void> {
    const identity = await this.db.get(IDENTITY_KEY)
    if (identity === undefined) {
      const anyKey = await this.db.keys({ limit: 1 }).all()
      if (anyKey.length > 0) throw new RollupError(RollupErrorCode.STORE, 'rollup database has data but no identity record')
      return
    }
    if (!equalBytes(identity, this.identity)) {
      throw new RollupError(RollupErrorCode.WRONG_GENESIS, 'this rollup folder belongs to another chain, rollup or genesis; use a fresh folder')
    }
    const raw = await this.db.get(COMMITMENT_KEY)
    if (raw === undefined) throw new RollupError(RollupErrorCode.STORE, 'rollup database has no commitment')
    const c = decode(CommitmentRecordSchema, raw)
    this.#commitment = { height: c.nextHeight - 1, stateRoot: c.stateRoot }
  }

  /** null for a fresh folder: the rollup then writes its genesis with initialise(). */
  commitment (): Commitment | null {
    return this.#commitment
  }

  /** Writes identity, genesis state and the commitment of height -1 in one synced batch. */
  async initialise (state: Array<{ key: Uint8Array, value: Uint8Array }>, stateRoot: Uint8Array): Promise<Commitment> {
    this.#assertOpen()
    if (this.#commitment !== null) throw new RollupError(RollupErrorCode.STORE, 'rollup database is already initialised')
    const commitment = { height: -1, stateRoot }
    const ops: Op[] = state.map((e) => ({ type: 'put', key: prefixed(STATE_PREFIX, e.key), value: e.value }))
    ops.push({ type: 'put', key: IDENTITY_KEY, value: this.identity })
    ops.push(this.#commitmentOp(commitment))
    await this.db.batch(ops, { sync: true })
    rollupSyncWrites.count++
    this.#commitment = commitment
    return commitment
  }

  /** Every state entry (key without the prefix), in key order. */
  async loadState (): Promise<Array<{ key: Uint8Array, value: Uint8Array }>> {
    this.#assertOpen()
    const entries = await this.db.iterator({ gte: Uint8Array.of(STATE_PREFIX), lt: Uint8Array.of(STATE_PREFIX + 1) }).all()
    return entries.map(([key, value]) => ({ key: key.subarray(1), value }))
  }

  /** Atomically records one executed height (see the file header). */
  async writeHeight (write: HeightWrite): Promise<void> {
    this.#assertOpen()
    const expected = (this.#commitment?.height ?? -2) + 1
    if (write.commitment.height !== expected) {
      throw new RollupError(RollupErrorCode.WRONG_SLICE, `writing height ${write.commitment.height} but the next height is ${expected}`)
    }
    const ops: Op[] = write.state.map((e) => e.value === null
      ? { type: 'del', key: prefixed(STATE_PREFIX, e.key) }
      : { type: 'put', key: prefixed(STATE_PREFIX, e.key), value: e.value })
    if (write.receipts.length > 0) {
      ops.push({ type: 'put', key: receiptsKey(write.commitment.height), value: encode(ReceiptListSchema, { version: 1, receipts: write.receipts }) })
    }
    ops.push(this.#commitmentOp(write.commitment))
    const sync = this.#unsynced + 1 >= SYNC_EVERY_HEIGHTS
    await this.db.batch(ops, { sync })
    if (sync) rollupSyncWrites.count++
    this.#unsynced = sync ? 0 : this.#unsynced + 1
    this.#commitment = write.commitment
    this.#commitmentUnwritten = false
  }

  /**
   * An executed height that changed nothing: the commitment moves in memory only and is
   * written with the next height's batch (or at close). Losing it in a crash loses nothing
   * but the height number, which the runner then executes again, to the same effect: none.
   */
  advanceEmpty (commitment: Commitment): void {
    this.#assertOpen()
    const current = this.#commitment
    const expected = (current?.height ?? -2) + 1
    if (commitment.height !== expected) {
      throw new RollupError(RollupErrorCode.WRONG_SLICE, `advancing to height ${commitment.height} but the next height is ${expected}`)
    }
    if (current === null || !equalBytes(current.stateRoot, commitment.stateRoot)) {
      throw new RollupError(RollupErrorCode.STORE, 'an empty height keeps the state root')
    }
    this.#commitment = commitment
    this.#commitmentUnwritten = true
  }

  /** Receipts of an executed height in slice order; null above the commitment. */
  async receipts (height: number): Promise<Receipt[] | null> {
    this.#assertOpen()
    if (!Number.isSafeInteger(height) || height < 0 || height > (this.#commitment?.height ?? -1)) return null
    const raw = await this.db.get(receiptsKey(height))
    return raw === undefined ? [] : decode(ReceiptListSchema, raw).receipts
  }

  /** Writes a commitment that only moved in memory and syncs what is not yet synced. */
  async close (): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    try {
      if ((this.#commitmentUnwritten || this.#unsynced > 0) && this.#commitment !== null) {
        await this.db.batch([this.#commitmentOp(this.#commitment)], { sync: true })
        rollupSyncWrites.count++
      }
    } finally {
      await this.db.close()
    }
  }

  #commitmentOp (c: Commitment): Op {
    return { type: 'put', key: COMMITMENT_KEY, value: encode(CommitmentRecordSchema, { version: 1, nextHeight: c.height + 1, stateRoot: c.stateRoot }) }
  }

  #assertOpen (): void {
    if (this.#closed) throw new RollupError(RollupErrorCode.NOT_OPEN, 'rollup database is closed')
  }
}
