/**
 * The tx hash (node side, node:crypto's sha256): SHA-256 of the bytes a sender signs. It
 * is the tx's id everywhere (mempool, chunks, payload leaves, the store's tx index); the
 * SDK computes the same with noble (client/tx.ts).
 */
import type { TxBody } from '../codec/index.js'
import { sha256 } from '../crypto/index.js'
import { txSigningMessageWith } from './sender-proof.js'

/**
 * The bytes a sender signs; their SHA-256 is the tx hash (also the bundle id). The actions
 * enter as the root of their hash tree, so each slice leaf can prove its sender.
 */
export function txSigningMessage (chainId: string, body: TxBody): Uint8Array {
  return txSigningMessageWith(sha256, chainId, body)
}

export function txHash (chainId: string, tx: TxBody): Uint8Array {
  return sha256(txSigningMessage(chainId, tx))
}
