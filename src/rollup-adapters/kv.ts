/**
 * The `kv` toy rollup: a key/value store where a key belongs to whoever first set it.
 * The owner is the `sender` of the sequencer tx (SliceLeaf.sender), whose signature over
 * this action the slice source checked (its sender proof: a member cannot forge it); other senders' sets and deletes of an owned key fail with a
 * receipt, and deleting frees the key. Rules and formats: docs/ROLLUPS.md.
 */
import { CodecError, decode, encode } from '../codec/index.js'
import { bytes, literal, record, uintMax, type Infer } from '../codec/schema.js'
import { LevelRollup, type StateAccess, type StateMachine } from './level-rollup.js'
import type { ExecutorLeaf } from './types.js'
import { rollupIdentity } from './rollup-db.js'
import { hasV1TupleHeader } from './domain.js'
import { equalBytes } from '../crypto/index.js'

export const KV_MAX_KEY_BYTES = 256
export const KV_MAX_VALUE_BYTES = 4096
export const KvOp = { set: 0, delete: 1 } as const
export type KvOp = (typeof KvOp)[keyof typeof KvOp]

/** The payload: [1, op: 0 set | 1 delete, key: bytes<=256, value: bytes<=4096]. */
export const KvPayloadSchema = record('KvPayload', {
  version: literal(1),
  op: uintMax(1),
  key: bytes({ max: KV_MAX_KEY_BYTES }),
  value: bytes({ max: KV_MAX_VALUE_BYTES })
})
export type KvPayload = Infer<typeof KvPayloadSchema>

const KvValueSchema = record('KvValue', { owner: bytes({ length: 32 }), value: bytes({ max: KV_MAX_VALUE_BYTES }) })
export type KvEntry = Infer<typeof KvValueSchema>
/** One leaf of the state root: [key, owner, value]. */
const KvEntrySchema = record('KvEntry', { key: bytes({ max: KV_MAX_KEY_BYTES }), owner: bytes({ length: 32 }), value: bytes({ max: KV_MAX_VALUE_BYTES }) })

const MAX_PAYLOAD_BYTES = KV_MAX_KEY_BYTES + KV_MAX_VALUE_BYTES + 16

export const KvReceiptCode = {
  OK: 'OK',
  /** not a strictly encoded KvPayload, an empty key, or a delete carrying a value */
  MALFORMED: 'KV_MALFORMED',
  /** the key belongs to another sender */
  NOT_OWNER: 'KV_NOT_OWNER',
  /** delete of a key that is not set */
  NOT_FOUND: 'KV_NOT_FOUND'
} as const
export type KvReceiptCode = (typeof KvReceiptCode)[keyof typeof KvReceiptCode]

export interface KvRollupOptions {
  rollupId: number
  dir: string
  chainId: string
}

export function encodeKvSet (key: Uint8Array, value: Uint8Array): Uint8Array {
  return encode(KvPayloadSchema, { version: 1, op: KvOp.set, key, value })
}

export function encodeKvDelete (key: Uint8Array): Uint8Array {
  return encode(KvPayloadSchema, { version: 1, op: KvOp.delete, key, value: new Uint8Array(0) })
}

/** Strict decode; throws CodecError. */
export function decodeKvPayload (payload: Uint8Array): KvPayload {
  return decode(KvPayloadSchema, payload, MAX_PAYLOAD_BYTES)
}

/** The kv rules as a pure state machine. */
export function kvStateMachine (chainId: string, rollupId: number): StateMachine<KvEntry> {
  return {
    identity: rollupIdentity('kv', chainId, rollupId, new Uint8Array(0)),
    encodeValue: (value) => encode(KvValueSchema, value),
    decodeValue: (bytes) => decode(KvValueSchema, bytes),
    entryBytes: (key, value) => encode(KvEntrySchema, { key, owner: value.owner, value: value.value }),
    genesis: () => [],
    apply: applyKv
  }
}

function applyKv (state: StateAccess<KvEntry>, leaf: ExecutorLeaf): KvReceiptCode {
  let p: KvPayload
  if (!hasV1TupleHeader(leaf.payload, 4)) return KvReceiptCode.MALFORMED
  try {
    p = decodeKvPayload(leaf.payload)
  } catch (err) {
    if (err instanceof CodecError) return KvReceiptCode.MALFORMED
    throw err
  }
  if (p.key.length === 0 || (p.op === KvOp.delete && p.value.length > 0)) return KvReceiptCode.MALFORMED
  const current = state.get(p.key)
  if (current !== undefined && !equalBytes(current.owner, leaf.sender)) return KvReceiptCode.NOT_OWNER
  if (p.op === KvOp.set) {
    // Copies: decoded bytes may be views into a whole batch, which the state must not pin.
    state.set(p.key, { owner: Uint8Array.from(leaf.sender), value: Uint8Array.from(p.value) })
    return KvReceiptCode.OK
  }
  if (current === undefined) return KvReceiptCode.NOT_FOUND
  state.delete(p.key)
  return KvReceiptCode.OK
}

export class KvRollup extends LevelRollup<KvEntry> {
  constructor (opts: KvRollupOptions) {
    super(opts.rollupId, opts.dir, kvStateMachine(opts.chainId, opts.rollupId))
  }

  /** The entry under `key` (owner and value), undefined if unset. */
  lookup (key: Uint8Array): KvEntry | undefined {
    return this.get(key)
  }
}
