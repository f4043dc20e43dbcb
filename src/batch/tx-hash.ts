/**
 * The tx hash (node side, node:crypto's sha256): SHA-256 of the bytes a sender signs. It
 * is the tx's id everywhere (mempool, chunks, payload leaves, the store's tx index); the
 * SDK computes the same with noble (client/tx.ts).
 */
import type { Tx, TxBody } from '../codec/index.js'
import { sha256 } from '../crypto/index.js'
import type { HashedTx } from './payload.js'
import { actionTree, signingMessageFromRoot, txSigningMessageWith } from './sender-proof.js'

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

/**
 * The tx with its hash and the action tree the hash needed, kept so that its leaves
 * (payload.ts txLeaves) take their sender paths from it instead of hashing the actions again.
 */
export function hashTx (chainId: string, tx: Tx): HashedTx {
  const tree = actionTree(sha256, tx.actions)
  const message = signingMessageFromRoot(chainId, { actionsRoot: tree.root, actionCount: tx.actions.length, sender: tx.sender, nonce: tx.nonce, expiry: tx.expiry })
  return { tx, hash: sha256(message), tree: tx.actions.length > 1 ? tree : null }
}
