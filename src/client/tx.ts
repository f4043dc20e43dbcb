/**
 * Building and signing transactions exactly as the node hashes and checks them
 * (docs/PROTOCOL.md, "Domains, hashes and signatures"; node side: src/mempool/tx.ts):
 * the signed message is `domainMessage("seq/tx/v1", chainId, encode(TxSigningBody))`, the tx
 * hash is its SHA-256 (independent of the signature; also the bundle id) and the
 * signature is ed25519 over that same message.
 */
import { sha256 } from '@noble/hashes/sha2.js'
import { randomBytes } from '@noble/hashes/utils.js'
import { txSigningMessageWith } from '../batch/sender-proof.js'
import { FormatLimits, TxSchema, WIRE_VERSION, type Tx, type TxBody } from '../codec/wire-types.js'
import { bytesToHex } from '../crypto/hex.js'
import { decode, encode } from './codec.js'
import type { Signer } from './keys.js'

export interface ActionInput {
  rollupId: number
  payload: Uint8Array
}

/** Per-tx choices; every one has a default. */
export interface TxOptions {
  /** any non-negative safe integer; default random, so equal txs get distinct hashes */
  nonce?: number
  /** absolute expiry, unix ms; wins over expiryMs */
  expiry?: number
  /** lifetime from now in ms, when `expiry` is not given */
  expiryMs?: number
}

export interface BuildTxOptions extends TxOptions {
  chainId: string
  actions: ActionInput[]
  signer: Signer
}

/**
 * The rollup a node charges a tx to (its first action's: the lane), sent as the `x-rollup-id`
 * header so a node can refuse a rollup over its rate before reading the tx; undefined when
 * the bytes are not a tx (the node then gives the reason).
 */
export function txLane (tx: Uint8Array | BuiltTx): number | undefined {
  if (!(tx instanceof Uint8Array)) return tx.tx.actions[0]?.rollupId
  try {
    return decode(TxSchema, tx).actions[0]?.rollupId
  } catch {
    return undefined
  }
}

export interface BuiltTx {
  tx: Tx
  /** the encoded Tx: what `submit` sends */
  bytes: Uint8Array
  /** lowercase hex tx hash: what `txStatus`/`waitFinal` take and slice leaves carry */
  hash: string
}

/**
 * One minute: ample for ordering (milliseconds when the node is healthy), within every
 * genesis `maxExpiryWindowMs` worth having, and a stuck tx is explicitly rejected soon.
 */
export const DEFAULT_TX_LIFETIME_MS = 60_000

/**
 * The bytes a sender signs; their SHA-256 is the tx hash. The actions enter as the root of
 * their hash tree, so each rollup can check the signature over its own action alone.
 */
export function txSigningMessage (chainId: string, body: TxBody): Uint8Array {
  return txSigningMessageWith(sha256, chainId, body)
}

/** Hash (hex) of a tx or tx body; the signature is not part of it. */
export function txHash (chainId: string, body: TxBody): string {
  return bytesToHex(sha256(txSigningMessage(chainId, body)))
}

export function buildTx (opts: BuildTxOptions): BuiltTx {
  const { chainId, signer } = opts
  if (typeof chainId !== 'string' || chainId.length === 0 || chainId.length > FormatLimits.maxChainIdLength) {
    throw new TypeError(`chainId must be a string of 1 to ${FormatLimits.maxChainIdLength} characters`)
  }
  const actions = checkActions(opts.actions)
  const nonce = opts.nonce ?? randomNonce()
  const expiry = opts.expiry ?? Date.now() + (opts.expiryMs ?? DEFAULT_TX_LIFETIME_MS)
  checkUint(nonce, 'nonce')
  checkUint(expiry, 'expiry')
  const body: TxBody = { version: WIRE_VERSION, actions, sender: signer.publicKey, nonce, expiry }
  const message = txSigningMessage(chainId, body)
  const tx: Tx = { ...body, signature: signer.sign(message) }
  return { tx, bytes: encode(TxSchema, tx), hash: bytesToHex(sha256(message)) }
}

export interface TxBuilderOptions extends Omit<TxOptions, 'nonce'> {
  chainId: string
  signer: Signer
  /** nonce of the first tx, then +1 per tx; default random */
  firstNonce?: number
}

/** Builds txs for one chain and sender. */
export interface TxBuilder {
  /** a tx with one action */
  single (rollupId: number, payload: Uint8Array, opts?: TxOptions): BuiltTx
  /** several payloads for one rollup under one signature (a submitter batching its users' payloads) */
  many (rollupId: number, payloads: Uint8Array[], opts?: TxOptions): BuiltTx
  /**
   * A cross-rollup bundle: all its actions are ordered together in one batch or not at
   * all, and every rollup's leaf carries the same txHash (the bundle id) with its
   * actionIndex and actionCount, so each rollup can find the others' parts.
   */
  bundle (actions: ActionInput[], opts?: TxOptions): BuiltTx
  /** any list of actions */
  build (actions: ActionInput[], opts?: TxOptions): BuiltTx
}

export function createTxBuilder (opts: TxBuilderOptions): TxBuilder {
  let nonce = opts.firstNonce ?? randomNonce()
  checkUint(nonce, 'firstNonce')
  const build = (actions: ActionInput[], over: TxOptions = {}): BuiltTx => {
    const built = buildTx({
      chainId: opts.chainId,
      signer: opts.signer,
      actions,
      nonce: over.nonce ?? nonce,
      expiry: over.expiry ?? opts.expiry,
      expiryMs: over.expiryMs ?? opts.expiryMs
    })
    if (over.nonce === undefined) nonce = nonce === Number.MAX_SAFE_INTEGER ? 0 : nonce + 1
    return built
  }
  return {
    build,
    single: (rollupId, payload, over) => build([{ rollupId, payload }], over),
    many (rollupId, payloads, over) {
      if (!Array.isArray(payloads) || payloads.length === 0) throw new TypeError('many() needs at least one payload')
      return build(payloads.map((payload) => ({ rollupId, payload })), over)
    },
    bundle (actions, over) {
      if (!Array.isArray(actions) || new Set(actions.map((a) => a?.rollupId)).size < 2) {
        throw new TypeError('a bundle spans at least two rollups; use single() or many() for one')
      }
      return build(actions, over)
    }
  }
}

function checkActions (actions: ActionInput[]): ActionInput[] {
  if (!Array.isArray(actions) || actions.length === 0 || actions.length > FormatLimits.maxActionsPerTx) {
    throw new TypeError(`actions must be a list of 1 to ${FormatLimits.maxActionsPerTx} actions`)
  }
  return actions.map((a, i) => {
    checkUint(a?.rollupId, `actions[${i}].rollupId`)
    if (!(a.payload instanceof Uint8Array)) throw new TypeError(`actions[${i}].payload must be a Uint8Array`)
    if (a.payload.length > FormatLimits.maxPayloadBytes) throw new RangeError(`actions[${i}].payload is over ${FormatLimits.maxPayloadBytes} bytes`)
    return { rollupId: a.rollupId, payload: a.payload }
  })
}

function checkUint (value: unknown, name: string): void {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) throw new TypeError(`${name} must be a non-negative safe integer`)
}

/** A uniformly random integer in [0, 2^53). */
function randomNonce (): number {
  const b = randomBytes(7)
  let n = b[0]! & 0x1f
  for (let i = 1; i < 7; i++) n = n * 256 + b[i]!
  return n
}
