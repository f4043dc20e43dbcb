/**
 * A RollupExecutor made of a pure state machine (what a payload does to the state) and a
 * level folder (RollupDb). The state lives in memory in a MerkleTable, loaded at open and
 * checked against the stored state root; each height is applied in memory, then its
 * changed entries, receipts and commitment are written in one batch (synced in groups, and
 * not at all for an empty height: see rollup-db.ts). If anything
 * fails after the memory was touched, the executor refuses to go on until it is re-opened
 * (which reloads what really is on disk): a failed height leaves no trace.
 */
import { bytesToHex, equalBytes } from '../crypto/index.js'
import { RollupError, RollupErrorCode } from './errors.js'
import { MerkleTable } from './merkle.js'
import { RollupDb } from './rollup-db.js'
import type { Commitment, ExecutorLeaf, Receipt, RollupExecutor, VerifiedSlice } from './types.js'

export interface StateAccess<V> {
  get: (key: Uint8Array) => V | undefined
  set: (key: Uint8Array, value: V) => void
  delete: (key: Uint8Array) => void
}

/** The deterministic part of a rollup: no I/O, no clock, no randomness. */
export interface StateMachine<V> {
  /** hash that binds the folder to one chain, rollup and genesis */
  readonly identity: Uint8Array
  encodeValue: (value: V) => Uint8Array
  decodeValue: (bytes: Uint8Array) => V
  /** what the state root commits to for one entry */
  entryBytes: (key: Uint8Array, value: V) => Uint8Array
  genesis: () => Array<{ key: Uint8Array, value: V }>
  /** Applies one action and returns its receipt code ('OK' or a reason); never throws on bad input. */
  apply: (state: StateAccess<V>, leaf: ExecutorLeaf) => string
}

export class LevelRollup<V> implements RollupExecutor {
  #db: RollupDb | null = null
  #table: MerkleTable<V>
  /** set when a height failed after the memory state changed: re-open to continue */
  #needsReopen = false

  constructor (readonly rollupId: number, readonly dir: string, protected readonly machine: StateMachine<V>) {
    this.#table = new MerkleTable(machine.entryBytes)
  }

  async open (): Promise<Commitment> {
    if (this.#db !== null) return this.#db.commitment()!
    const db = await RollupDb.open(this.dir, this.machine.identity)
    try {
      const table = new MerkleTable(this.machine.entryBytes)
      let commitment = db.commitment()
      if (commitment === null) {
        const genesis = this.machine.genesis()
        for (const { key, value } of genesis) table.set(key, value)
        commitment = await db.initialise(genesis.map((e) => ({ key: e.key, value: this.machine.encodeValue(e.value) })), table.root())
      } else {
        for (const { key, value } of await db.loadState()) table.set(key, this.machine.decodeValue(value))
        const root = table.root()
        if (!equalBytes(root, commitment.stateRoot)) {
          throw new RollupError(RollupErrorCode.STORE, `stored state has root ${bytesToHex(root)} but the commitment of height ${commitment.height} says ${bytesToHex(commitment.stateRoot)}`)
        }
      }
      this.#table = table
      this.#db = db
      this.#needsReopen = false
      return commitment
    } catch (err) {
      await db.close()
      throw err
    }
  }

  async executeSlice (slice: VerifiedSlice): Promise<Commitment> {
    const db = this.#openDb()
    if (this.#needsReopen) throw new RollupError(RollupErrorCode.NOT_OPEN, 'a previous height failed mid-way; close and open the executor again')
    const current = db.commitment()!
    if (slice.rollupId !== this.rollupId || slice.height !== current.height + 1) {
      throw new RollupError(RollupErrorCode.WRONG_SLICE, `got rollup ${slice.rollupId} height ${slice.height}, expected rollup ${this.rollupId} height ${current.height + 1}`)
    }
    if (slice.txs.length === 0) {
      // Same state, same root: only the height moves. Still written (without sync, like every
      // height), so a killed process reopens at the height it reported: exactly once.
      const commitment = { height: slice.height, stateRoot: current.stateRoot }
      await db.writeHeight({ commitment, state: [], receipts: [] })
      return commitment
    }
    this.#needsReopen = true
    const changed = new Map<string, { key: Uint8Array, value: V | null }>()
    const table = this.#table
    const access: StateAccess<V> = {
      get: (key) => table.get(key),
      set: (key, value) => { table.set(key, value); changed.set(bytesToHex(key), { key, value }) },
      delete: (key) => { if (table.delete(key)) changed.set(bytesToHex(key), { key, value: null }) }
    }
    const receipts: Receipt[] = slice.txs.map((leaf) => ({ txHash: leaf.txHash, actionIndex: leaf.actionIndex, code: this.machine.apply(access, leaf) }))
    const commitment = { height: slice.height, stateRoot: table.root() }
    await db.writeHeight({
      commitment,
      state: [...changed.values()].map((c) => ({ key: c.key, value: c.value === null ? null : this.machine.encodeValue(c.value) })),
      receipts
    })
    this.#needsReopen = false
    return commitment
  }

  /** The last durable commitment (the one open() or the last executeSlice returned). */
  commitment (): Commitment {
    return this.#openDb().commitment()!
  }

  /** Receipts of an executed height, in slice order ([] for an empty one); null if not executed yet. */
  async receipts (height: number): Promise<Receipt[] | null> {
    return await this.#openDb().receipts(height)
  }

  /** Number of state entries. */
  get size (): number {
    return this.#table.size
  }

  /** State entries in key order (for tests and debugging views). */
  entries (): Array<{ key: Uint8Array, value: V }> {
    return this.#table.entries()
  }

  protected get (key: Uint8Array): V | undefined {
    this.#openDb()
    return this.#table.get(key)
  }

  async close (): Promise<void> {
    const db = this.#db
    this.#db = null
    await db?.close()
  }

  #openDb (): RollupDb {
    if (this.#db === null) throw new RollupError(RollupErrorCode.NOT_OPEN, `rollup ${this.rollupId} executor is not open`)
    return this.#db
  }
}
