/**
 * The stateless admission rules of a tx: size, strict decoding, content limits, expiry and
 * the sender's signature. The mempool applies them before its stateful ones (duplicates,
 * lane capacity); a follower applies them before it gossips a tx toward the committee, so
 * both refuse the same txs with the same codes.
 */
import { CodecError, CodecErrorCode, decode, TxSchema, type Tx } from '../codec/index.js'
import { sha256, verifyEd25519 } from '../crypto/index.js'
import { AdmissionError, AdmissionErrorCode } from './errors.js'
import type { MempoolGenesis } from './mempool.js'
import { txSigningMessage } from '../batch/index.js'

/** Decodes one encoded tx within the genesis size limit; throws AdmissionError. */
export function decodeTx (genesis: MempoolGenesis, bytes: Uint8Array): Tx {
  const { limits } = genesis
  // [REJECT] the encoded tx is within the genesis size limit
  if (bytes.length > limits.maxTxBytes) throw new AdmissionError(AdmissionErrorCode.TOO_LARGE, `tx is ${bytes.length} bytes, limit ${limits.maxTxBytes}`)
  try {
    return decode(TxSchema, bytes, limits.maxTxBytes)
  } catch (err) {
    if (err instanceof CodecError) {
      const code = err.code === CodecErrorCode.TOO_LARGE ? AdmissionErrorCode.TOO_LARGE : AdmissionErrorCode.MALFORMED
      throw new AdmissionError(code, err.message)
    }
    throw err
  }
}

/** Content limits and expiry at `now`; throws AdmissionError. */
export function checkTxContent (genesis: MempoolGenesis, tx: Tx, now: number, knownRollup: (id: number) => boolean): void {
  const { limits } = genesis
  // [REJECT] at most maxActionsPerTx actions
  if (tx.actions.length > limits.maxActionsPerTx) throw new AdmissionError(AdmissionErrorCode.TOO_LARGE, `${tx.actions.length} actions, limit ${limits.maxActionsPerTx}`)
  for (const action of tx.actions) {
    // [REJECT] every action names a rollup of genesis
    if (!knownRollup(action.rollupId)) throw new AdmissionError(AdmissionErrorCode.UNKNOWN_ROLLUP, `rollup ${action.rollupId} is not in genesis`)
    // [REJECT] every payload is within the genesis limit
    if (action.payload.length > limits.maxPayloadBytes) throw new AdmissionError(AdmissionErrorCode.TOO_LARGE, `payload of ${action.payload.length} bytes, limit ${limits.maxPayloadBytes}`)
  }
  // [REJECT] not expired, and not so far ahead that replay protection would need an unbounded window
  if (tx.expiry <= now) throw new AdmissionError(AdmissionErrorCode.EXPIRED, `expired at ${tx.expiry}, now ${now}`)
  if (tx.expiry > now + limits.maxExpiryWindowMs) throw new AdmissionError(AdmissionErrorCode.EXPIRY_TOO_FAR, `expiry more than ${limits.maxExpiryWindowMs} ms ahead`)
}

/** [REJECT] the signature is the sender's over the domain-tagged body. Returns the tx hash. */
export function checkTxSignature (chainId: string, tx: Tx): Uint8Array {
  const message = txSigningMessage(chainId, tx)
  if (!verifyEd25519(tx.sender, message, tx.signature)) throw new AdmissionError(AdmissionErrorCode.BAD_SIGNATURE, 'signature does not verify for the sender key')
  return sha256(message)
}

/** Every stateless rule, in the mempool's order; returns the decoded tx and its hash. */
export function checkTxStateless (genesis: MempoolGenesis, bytes: Uint8Array, now: number): { tx: Tx, hash: Uint8Array } {
  const tx = decodeTx(genesis, bytes)
  const known = new Set(genesis.rollups.map((r) => r.id))
  checkTxContent(genesis, tx, now, (id) => known.has(id))
  return { tx, hash: checkTxSignature(genesis.chainId, tx) }
}
