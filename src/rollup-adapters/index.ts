/** Rollup adapters: the executor API, the runner that feeds it final slices exactly once, and the toy rollups. See docs/ROLLUPS.md. */
export type {
  Commitment, ExecutorLeaf, FinalSliceProvider, Receipt, RollupExecutor, RollupLogger, RollupMetrics, RollupStatus, RunnerPhase, SliceSource, VerifiedSlice
} from './types.js'
export { RollupError, RollupErrorCode } from './errors.js'
export { RollupRunner, defaultRollupRunnerOptions, type RollupRunnerDeps, type RollupRunnerOptions } from './runner.js'
export { NodeSliceSource, defaultNodeSliceSourceOptions, type NodeSliceSourceOptions } from './node-slice-source.js'
export { RollupAdapters, startBuiltinRollups, type BuiltinRollupEntry, type RollupAdaptersDeps } from './adapters.js'
export { createRollupMetrics } from './metrics.js'
export { createBuiltinRollup, BUILTIN_ROLLUP_KINDS, type BuiltinRollupKind, type BuiltinRollupOptions } from './builtin.js'
export { LevelRollup, type StateAccess, type StateMachine } from './level-rollup.js'
export { rollupSyncWrites } from './rollup-db.js'
export { merkleRoot, merkleLeafHash, EMPTY_MERKLE_ROOT, MerkleTable } from './merkle.js'
export { rollupDomainMessage, RollupDomainTag } from './domain.js'
export {
  TokenRollup, TokenReceiptCode, TransferSchema, TransferBodySchema, TOKEN_PAYLOAD_MAX_BYTES,
  signTransfer, encodeTransfer, decodeTransfer, transferSigningMessage, parseTokenGenesis, tokenStateMachine,
  type Transfer, type TransferBody, type TokenAccount, type TokenAllocation, type TokenRollupOptions
} from './token.js'
export {
  KvRollup, KvReceiptCode, KvOp, KvPayloadSchema, KV_MAX_KEY_BYTES, KV_MAX_VALUE_BYTES,
  encodeKvSet, encodeKvDelete, decodeKvPayload, kvStateMachine,
  type KvEntry, type KvPayload, type KvRollupOptions
} from './kv.js'
