/** Transaction hashing, signing and signature checks (node side: node:crypto). */
import { txSigningMessageWith } from '../batch/index.js'
import type { Tx, TxBody } from '../codec/index.js'
import { sha256, verifyEd25519, type Ed25519Signer } from '../crypto/index.js'

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

export function signTx (chainId: string, body: Omit<TxBody, 'version' | 'sender'>, signer: Ed25519Signer): Tx {
  const full: TxBody = { version: 1, actions: body.actions, sender: signer.publicKey, nonce: body.nonce, expiry: body.expiry }
  const signature = signer.sign(txSigningMessage(chainId, full))
  return { ...full, signature }
}

/** Returns the tx hash when the signature is valid, null otherwise. */
export function verifyTx (chainId: string, tx: Tx): Uint8Array | null {
  const message = txSigningMessage(chainId, tx)
  if (!verifyEd25519(tx.sender, message, tx.signature)) return null
  return sha256(message)
}
