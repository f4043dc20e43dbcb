/**
 * The `token` toy rollup: balances and nonces of accounts keyed by ed25519 public keys.
 * A payload is one signed Transfer; the signature (by `from`, under the rollup's own
 * domain tag and the chain id) is what authorises it, so anyone may relay it to the
 * sequencer. Bad transfers become failed receipts with a reason code, never a crash.
 * Rules and formats: docs/ROLLUPS.md.
 */
import { CodecError, decode, encode } from '../codec/index.js'
import { bytes, list, literal, record, uint, type Infer } from '../codec/schema.js'
import { hexToBytes, verifyEd25519 } from '../crypto/index.js'
import { hasV1TupleHeader, rollupDomainMessage, RollupDomainTag } from './domain.js'
import { RollupError, RollupErrorCode } from './errors.js'
import { bytesToHex } from '../crypto/index.js'
import { LevelRollup, type StateAccess, type StateMachine } from './level-rollup.js'
import { rollupIdentity } from './rollup-db.js'
import type { ExecutorLeaf } from './types.js'

/** A Transfer is at most 154 bytes (both integers at 9 bytes); anything longer is not one. */
export const TOKEN_PAYLOAD_MAX_BYTES = 256

const account = bytes({ length: 32 })
const transferBodyFields = { version: literal(1), from: account, to: account, amount: uint, nonce: uint }
/** What `from` signs: [1, from, to, amount, nonce]. */
export const TransferBodySchema = record('TransferBody', transferBodyFields)
export type TransferBody = Infer<typeof TransferBodySchema>
/** The payload: [1, from, to, amount, nonce, signature]. */
export const TransferSchema = record('Transfer', { ...transferBodyFields, signature: bytes({ length: 64 }) })
export type Transfer = Infer<typeof TransferSchema>

const AccountSchema = record('TokenAccount', { balance: uint, nonce: uint })
export type TokenAccount = Infer<typeof AccountSchema>
/** One leaf of the state root: [account, balance, nonce]. */
const AccountEntrySchema = record('TokenAccountEntry', { account, balance: uint, nonce: uint })
const AllocationsSchema = list(record('TokenAllocation', { account, balance: uint }), { max: 1_000_000 })

/** Receipt codes, in the order the rules are checked (the first failing rule is the code). */
export const TokenReceiptCode = {
  OK: 'OK',
  /** the payload is not a strictly encoded Transfer */
  MALFORMED: 'TOKEN_MALFORMED',
  ZERO_AMOUNT: 'TOKEN_ZERO_AMOUNT',
  /** not signed by `from` over this chain's transfer domain */
  BAD_SIGNATURE: 'TOKEN_BAD_SIGNATURE',
  /** `from` has never held tokens */
  UNKNOWN_ACCOUNT: 'TOKEN_UNKNOWN_ACCOUNT',
  /** nonce is not the account's next nonce */
  BAD_NONCE: 'TOKEN_BAD_NONCE',
  INSUFFICIENT_BALANCE: 'TOKEN_INSUFFICIENT_BALANCE'
} as const
export type TokenReceiptCode = (typeof TokenReceiptCode)[keyof typeof TokenReceiptCode]

/** One genesis allocation: a 32-byte public key as hex and its starting balance. */
export interface TokenAllocation {
  account: string
  balance: number
}

export interface TokenRollupOptions {
  rollupId: number
  /** level folder of this rollup (created if missing) */
  dir: string
  chainId: string
  genesis: TokenAllocation[]
}

/** The message `from` signs. */
export function transferSigningMessage (chainId: string, body: Omit<TransferBody, 'version'>): Uint8Array {
  return rollupDomainMessage(RollupDomainTag.tokenTransfer, chainId, encode(TransferBodySchema, { version: 1, ...body }))
}

/** Builds and signs a Transfer payload (what goes into a sequencer tx action for the token rollup). */
export function signTransfer (
  chainId: string,
  signer: { publicKey: Uint8Array, sign: (message: Uint8Array) => Uint8Array },
  transfer: { to: Uint8Array, amount: number, nonce: number }
): Uint8Array {
  const body = { from: signer.publicKey, to: transfer.to, amount: transfer.amount, nonce: transfer.nonce }
  return encodeTransfer({ version: 1, ...body, signature: signer.sign(transferSigningMessage(chainId, body)) })
}

export function encodeTransfer (transfer: Transfer): Uint8Array {
  return encode(TransferSchema, transfer)
}

/** Strict decode; throws CodecError. */
export function decodeTransfer (payload: Uint8Array): Transfer {
  return decode(TransferSchema, payload, TOKEN_PAYLOAD_MAX_BYTES)
}

/** Checks a genesis allocation list; throws RollupError(ROLLUP_BAD_CONFIG) saying what is wrong. */
export function parseTokenGenesis (json: unknown): TokenAllocation[] {
  const bad = (message: string): never => { throw new RollupError(RollupErrorCode.BAD_CONFIG, `token genesis: ${message}`) }
  if (!Array.isArray(json)) return bad('expected an array of {account, balance}')
  const seen = new Set<string>()
  let total = 0
  return json.map((item: unknown, i) => {
    const { account, balance, ...rest } = (typeof item === 'object' && item !== null ? item : {}) as Record<string, unknown>
    if (Object.keys(rest).length > 0) bad(`[${i}]: unknown field ${Object.keys(rest)[0]!}`)
    const key = typeof account === 'string' ? hexToBytes(account) : null
    if (key === null || key.length !== 32) return bad(`[${i}].account: expected a 32-byte public key as hex`)
    if (typeof balance !== 'number' || !Number.isSafeInteger(balance) || balance < 0) return bad(`[${i}].balance: expected a non-negative integer`)
    const id = bytesToHex(key)
    if (seen.has(id)) bad(`[${i}].account: listed twice`)
    seen.add(id)
    total += balance
    if (total > Number.MAX_SAFE_INTEGER) bad('total supply exceeds 2^53-1')
    return { account: id, balance }
  })
}

/** The token rules as a pure state machine (exported for tests and external rollup processes). */
export function tokenStateMachine (chainId: string, rollupId: number, genesis: TokenAllocation[]): StateMachine<TokenAccount> {
  const allocations = parseTokenGenesis(genesis)
    .map((a) => ({ account: hexToBytes(a.account)!, balance: a.balance }))
    .sort((a, b) => Buffer.compare(a.account, b.account))
  return {
    identity: rollupIdentity('token', chainId, rollupId, encode(AllocationsSchema, allocations)),
    encodeValue: (value) => encode(AccountSchema, value),
    decodeValue: (bytes) => decode(AccountSchema, bytes),
    entryBytes: (key, value) => encode(AccountEntrySchema, { account: key, balance: value.balance, nonce: value.nonce }),
    genesis: () => allocations.map((a) => ({ key: a.account, value: { balance: a.balance, nonce: 0 } })),
    apply: (state, leaf) => applyTransfer(chainId, state, leaf)
  }
}

function applyTransfer (chainId: string, state: StateAccess<TokenAccount>, leaf: ExecutorLeaf): TokenReceiptCode {
  let t: Transfer
  if (!hasV1TupleHeader(leaf.payload, 6)) return TokenReceiptCode.MALFORMED
  try {
    t = decodeTransfer(leaf.payload)
  } catch (err) {
    if (err instanceof CodecError) return TokenReceiptCode.MALFORMED
    throw err
  }
  if (t.amount === 0) return TokenReceiptCode.ZERO_AMOUNT
  if (!verifyEd25519(t.from, transferSigningMessage(chainId, t), t.signature)) return TokenReceiptCode.BAD_SIGNATURE
  const from = state.get(t.from)
  if (from === undefined) return TokenReceiptCode.UNKNOWN_ACCOUNT
  if (t.nonce !== from.nonce) return TokenReceiptCode.BAD_NONCE
  if (t.amount > from.balance) return TokenReceiptCode.INSUFFICIENT_BALANCE
  // Balances stay below 2^53: the supply is fixed at genesis and checked to fit.
  state.set(t.from, { balance: from.balance - t.amount, nonce: from.nonce + 1 })
  const to = state.get(t.to) ?? { balance: 0, nonce: 0 }
  state.set(t.to, { balance: to.balance + t.amount, nonce: to.nonce })
  return TokenReceiptCode.OK
}

function accountKey (account: Uint8Array | string): Uint8Array {
  const key = typeof account === 'string' ? hexToBytes(account) : account
  if (key === null || key.length !== 32) throw new RangeError('an account is a 32-byte public key (bytes or hex)')
  return key
}

export class TokenRollup extends LevelRollup<TokenAccount> {
  constructor (opts: TokenRollupOptions) {
    super(opts.rollupId, opts.dir, tokenStateMachine(opts.chainId, opts.rollupId, opts.genesis))
  }

  /** 0 for an account that never held tokens. */
  balance (account: Uint8Array | string): number {
    return this.get(accountKey(account))?.balance ?? 0
  }

  /** The nonce the account's next transfer must carry. */
  nonce (account: Uint8Array | string): number {
    return this.get(accountKey(account))?.nonce ?? 0
  }

  totalSupply (): number {
    return this.entries().reduce((sum, e) => sum + e.value.balance, 0)
  }
}
