/** Transaction hashing, signing and signature checks (node side: node:crypto). */
import { encode, TxBodySchema, type Tx, type TxBody } from '../codec/index.js'
import { DomainTag, domainMessage, sha256, verifyEd25519, type Ed25519Signer } from '../crypto/index.js'

/** The bytes a sender signs; their SHA-256 is the tx hash (also the bundle id). */
export function txSigningMessage (chainId: string, body: TxBody): Uint8Array {
  return domainMessage(DomainTag.tx, chainId, encode(TxBodySchema, body))
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
