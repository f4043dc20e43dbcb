import type { NamespaceProof } from './nmt.js'
import { nodeNmt } from './node-nmt.js'

export { nodeNmt }

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
export { buildPayload, batchTxs, countedTxs, expiredAt, EXPIRY_GRACE_MS, txLeaves, type HashedTx, type TxLeaf, type Payload } from './payload.js'
export { hashTx, txHash, txSigningMessage } from './tx-hash.js'
export { chunkDigest, chunkSigningMessage, batchHash } from './hashing.js'
export { buildSlice, verifySlice, type SliceVerifier, type SliceCheck } from './slice.js'
export { validateBatch, type BatchCheck } from './validate-batch.js'
export {
  actionTree, splitBySenderProof, txSigningMessageWith,
  SenderProofProblem, type ActionTree, type SenderProofDeps, type SenderProofSplit, type SkippedLeaf
} from './sender-proof.js'
