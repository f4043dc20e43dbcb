import { sha256 } from '../crypto/index.js'
import { createNmt, type NamespaceProof } from './nmt.js'

/** NMT over node:crypto SHA-256 (browser code builds its own with createNmt and noble). */
export const nodeNmt = createNmt(sha256)

export function nmtRoot (leaves: Uint8Array[]): Uint8Array {
  return nodeNmt.root(leaves)
}
export function nmtProveNamespace (leaves: Uint8Array[], namespace: Uint8Array): NamespaceProof {
  return nodeNmt.proveNamespace(leaves, namespace)
}
export function nmtVerifyNamespace (root: Uint8Array, namespace: Uint8Array, leaves: Uint8Array[], proof: NamespaceProof): boolean {
  return nodeNmt.verifyNamespace(root, namespace, leaves, proof)
}

export { createNmt, NmtError, NAMESPACE_SIZE, type Nmt, type NmtTree, type NamespaceProof, type Sha256 } from './nmt.js'
export { rollupNamespace, namespaceRollupId, namespaceRange } from './namespace.js'
export { buildPayload, batchTxs, countedTxs, expiredAt, EXPIRY_GRACE_MS, type HashedTx, type Payload } from './payload.js'
export { txHash, txSigningMessage } from './tx-hash.js'
export { chunkDigest, chunkSigningMessage, batchHash } from './hashing.js'
export { buildSlice, verifySlice, type SliceVerifier, type SliceCheck } from './slice.js'
export { validateBatch, type BatchCheck } from './validate-batch.js'
export {
  actionTree, splitBySenderProof, txSigningMessageWith,
  SenderProofProblem, type ActionTree, type SenderProofDeps, type SenderProofSplit, type SkippedLeaf
} from './sender-proof.js'
