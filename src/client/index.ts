/**
 * Client SDK of the shared sequencer: build and sign txs, submit them and follow their
 * status, and read or follow a rollup's slices, each verified against the genesis
 * committee. Browser-safe: nothing here (or below) imports node builtins or uses Buffer;
 * hashing and signatures are noble's. See docs/CLIENT.md.
 */
export { generateSigningKey, signerFromSeed, verifyEd25519, SEED_LENGTH, type Signer, type SigningKey } from './keys.js'
export {
  buildTx, createTxBuilder, txHash, txLane, txSigningMessage, DEFAULT_TX_LIFETIME_MS,
  type ActionInput, type BuildTxOptions, type BuiltTx, type TxBuilder, type TxBuilderOptions, type TxOptions
} from './tx.js'
export {
  createVerifier, decodeSlice, batchHashBytes,
  type Committee, type SkippedLeaf, type SliceExpectation, type SliceVerifier, type VerifiedLeaf, type VerifiedSlice
} from './verify.js'
export { SenderProofProblem } from '../batch/sender-proof.js'
export { committeeFromGenesis, GENESIS_INVALID } from './genesis.js'
export {
  SequencerClient, parseRetryAfter, NO_COMMITTEE,
  type FetchLike, type NodeStatus, type RollupLatest, type SequencerClientOptions, type SubmitResult,
  type SubmitRetryOptions, type TxPosition, type TxStatusReply, type WaitFinalOptions,
  type FinalTx, type SettledTxStatus, type SubmitAndWaitOptions, type WaitTxOptions
} from './client.js'
export { checkTxInSlices, txRollups } from './tx-proof.js'
export {
  DEFAULT_MAX_BUFFERED_BYTES, DEFAULT_HEARTBEAT_MS, STALE_AFTER_HEARTBEATS, defaultReconnectOptions,
  type ReconnectOptions, type StaleInfo, type StreamHeartbeat, type SliceSubscription, type StreamOptions, type SubscribeOptions, type WebSocketConstructor, type WebSocketLike
} from './stream.js'
export { CodedError, type ErrorDetails } from '../util/index.js'
export {
  ClientError, SequencerApiError, TxRejectedError, TxProofError, WaitTimeoutError, TX_NOT_IN_SLICE, SliceVerificationError, SliceStreamError,
  ApiFailureCode, SliceErrorCode, StreamErrorCode, WAIT_TIMEOUT
} from './errors.js'
export { encode, decode } from './codec.js'
export { TxSchema, TxBodySchema, SliceSchema, BatchHeaderSchema, type Tx, type TxBody, type Slice, type BatchHeader, type Action } from '../codec/wire-types.js'
export { bytesToHex, hexToBytes } from '../crypto/hex.js'
