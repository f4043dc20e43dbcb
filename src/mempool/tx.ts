/** Transaction signing and signature checks (node side: node:crypto); the hash is batch/tx-hash.ts. */
import { txSigningMessage } from '../batch/index.js'
import type { Tx, TxBody } from '../codec/index.js'
import { sha256, verifyEd25519, type Ed25519Signer } from '../crypto/index.js'

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
