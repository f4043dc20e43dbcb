/** Options, dependencies and events of the consensus driver and the parts it runs. */
import type { Logger } from 'pino'
import { MAX_MESSAGE_BYTES, type BatchHeader, type CommitProof } from '../codec/index.js'
import type { Ed25519Signer } from '../crypto/index.js'
import type { Mempool, MempoolEntry } from '../mempool/index.js'
import type { ChainStore } from '../store/index.js'
import type { BlockPayload } from './block-payload.js'
import type { CommitteeClock } from './committee-clock.js'
import { defaultChunkPackerOptions, type ChunkPackerOptions } from './chunk-packer.js'
import { defaultPacingOptions, type PacingOptions } from './proposer.js'
import { defaultOwnChunkResendOptions, type OwnChunkResendOptions } from './own-chunk-resender.js'
import type { ConsensusRejectCode } from './reject-codes.js'
import type { ConsensusTransport } from './member-network.js'

export interface ConsensusDriverOptions {
  /** first round timeout on an active chain; doubles per consecutive timeout */
  baseTimeoutMs: number
  maxTimeoutMs: number
  /** request/response deadline (chunks, blocks, sync) */
  requestTimeoutMs: number
  /** how far ahead of our committee time a proposal's timestamp may be */
  maxClockDriftMs: number
  /** the largest correction of our clock to the committee's time, either way (committee-clock.ts) */
  maxClockOffsetMs: number
  /** how often to ask a peer whether we are behind */
  syncIntervalMs: number
  /** batches per catch-up request */
  syncBatchSize: number
  /** bytes per catch-up response at the most */
  syncPageBytes: number
  packer: ChunkPackerOptions
  /** when a leader proposes: at once, or after a short hold for more data (proposer.ts) */
  pacing: PacingOptions
  /** own chunks no proposal took yet are sent again (own-chunk-resender.ts) */
  resend: OwnChunkResendOptions
}

export const defaultConsensusDriverOptions: ConsensusDriverOptions = {
  baseTimeoutMs: 1000, // ~100x a loopback round trip, still a quick recovery from a dead leader
  maxTimeoutMs: 10_000, // a partitioned committee retries at least every 10 s
  requestTimeoutMs: 2000,
  maxClockDriftMs: 5000, // NTP-synced clocks agree far better; also the expiry grace (batch/payload.ts EXPIRY_GRACE_MS)
  maxClockOffsetMs: 60_000, // a member whose clock is up to a minute off still votes and is heard; NTP keeps hosts far closer
  syncIntervalMs: 1000,
  syncBatchSize: 256,
  syncPageBytes: MAX_MESSAGE_BYTES, // the requester decodes no more than this (codec/msgpack.ts)
  packer: defaultChunkPackerOptions,
  pacing: defaultPacingOptions,
  resend: defaultOwnChunkResendOptions
}

interface CounterLike { inc (labels: Record<string, string>): void }
interface GaugeLike { set (value: number): void }
interface HistogramLike { observe (value: number): void }
export interface ConsensusMetrics {
  round: GaugeLike
  roundDuration: HistogramLike
  /** the round timer last armed (the adapted base, or a back-off of it), seconds */
  roundTimeout: GaugeLike
  roundsEntered: CounterLike
  votesSent: CounterLike
  proposals: CounterLike
  /** proposals held for more data before they were built (proposer.ts pacing) */
  proposalsHeld: CounterLike
  /** labels: kind (of message), code (ConsensusRejectCode) */
  rejected: CounterLike
  chunkFetches: CounterLike
  chunksReceived: CounterLike
  /** own chunks sent again because no proposal took them */
  chunksResent: CounterLike
  syncedBatches: CounterLike
}

export interface FinalBlockEvent {
  height: number
  hash: Uint8Array
  header: BatchHeader
  payload: BlockPayload
  proof: CommitProof
  /** own mempool entries that became final with this batch */
  finalEntries: MempoolEntry[]
}

export interface ConsensusDriverDeps {
  chainId: string
  committeeKeys: Uint8Array[]
  rollupIds: number[]
  limits: { maxBatchTxs: number, maxBatchBytes: number, maxActionsPerTx: number, maxPayloadBytes: number, maxTxBytes: number }
  self: number
  signer: Ed25519Signer
  store: ChainStore
  mempool: Mempool
  transport: ConsensusTransport
  logger: Logger
  metrics: ConsensusMetrics | null
  onFinal: (event: FinalBlockEvent) => void
  /** a message of member `from` was refused under `code`: lets the network score the sender */
  onReject?: (from: number, code: ConsensusRejectCode) => void
  /** this member's own clock (the committee time is learnt over it), when `clock` is not given */
  now?: () => number
  /** the committee time, shared with the node's mempool and status; built over `now` when absent */
  clock?: CommitteeClock
  /** this member's key has run before (see CoreRestored.signedBefore): with no safety state, it recovers first */
  signedBefore?: boolean
  /** awaited once, before the first safety state is stored (the node marks that this member has signed) */
  beforeFirstSafetyWrite?: () => Promise<void>
}
