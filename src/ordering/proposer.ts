/**
 * The leader's part: fills the header of a proposal the core asked for with pooled
 * chunks not in the chain it extends (lanes in turn, within the batch limits), at a
 * timestamp not before its parent's.
 */
import type { BatchHeader } from '../codec/index.js'
import type { BlockPayload } from './block-payload.js'
import type { CoreAction } from './consensus-core.js'
import type { PayloadBook } from './payload-book.js'

/** Chunks per batch at the most (each is one digest in the header). */
const MAX_CHUNKS_PER_BATCH = 4096

/**
 * Actions per proposal at the most (a whole first chunk goes even above it). Building and
 * checking a payload costs per action (action trees, NMT leaves), synchronously, on the
 * round's critical path: 8 MB batches of 64-action txs (~32k actions) took 0.5-2.5 s to
 * check per member, over the 1 s round timer, so every round timed out and the next leader
 * proposed the same chunks again (bench/results/2026-12-07-collapse). 4096 actions check in
 * well under a round, and stay above what a round of single-action txs carries at 1k tx/s.
 */
export const MAX_ACTIONS_PER_PROPOSAL = 4096

export function buildHeader (
  action: Extract<CoreAction, { type: 'buildProposal' }>,
  deps: { chainId: string, self: number, payloads: PayloadBook, limits: { maxBatchTxs: number, maxBatchBytes: number }, now: number }
): { header: BatchHeader, payload: BlockPayload } {
  const { payloads, limits } = deps
  const excluded = payloads.ancestorChunks(action.parent.hash)
  const picked = payloads.pool.select(excluded, { maxTxs: limits.maxBatchTxs, maxBytes: limits.maxBatchBytes, maxChunks: MAX_CHUNKS_PER_BATCH, maxActions: MAX_ACTIONS_PER_PROPOSAL })
  const timestamp = Math.max(deps.now, action.parent.timestamp)
  const hexes = picked.map((p) => p.digestHex)
  const payload = payloads.payloadFor(picked.map((p) => p.chunk), hexes, action.parent.hash, timestamp)
  const header: BatchHeader = {
    version: 1,
    chainId: deps.chainId,
    height: action.parent.height + 1,
    round: action.round,
    parentHash: action.parent.hash,
    proposer: deps.self,
    timestamp,
    payloadRoot: payload.payloadRoot,
    namespaces: payload.namespaces,
    chunkDigests: picked.map((p) => p.digest),
    txCount: payload.counted.length
  }
  return { header, payload }
}

/**
 * When a leader proposes (a local choice, never a validity rule: replicas take a block
 * whenever it comes). A round costs the committee the same CPU whatever it carries, so
 * under load a proposal that waits a little for more data saves a whole later round;
 * when the chain is idle the first data goes at once, and a proposal with no new data
 * (only the QC that commits what is in flight) never waits for data that may not come.
 */
export interface PacingOptions {
  /** propose at once when this many new txs wait (a round's cost is spread thin over them) */
  fillTxs: number
  /** or when this many bytes of new chunks wait */
  fillBytes: number
  /** the longest hold, whatever the rounds take */
  maxHoldMs: number
}

export const defaultPacingOptions: PacingOptions = {
  fillTxs: 256, // a round costs ~7 ms of committee CPU, a tx ~1 ms: past this the round is noise
  fillBytes: 256 * 1024,
  maxHoldMs: 5 // against a p50 goal of 10 ms and rounds of 2-6 ms on loopback
}

export interface PacingView {
  /** txs of pool chunks outside the chain being extended, plus this member's own waiting ones */
  newTxs: number
  newBytes: number
  /** txs in certified blocks not final yet (the QC this proposal carries moves them on) */
  inFlightTxs: number
  /** how long the last proposal here took to gather its QC (ms), the round's own cost; null if unknown */
  roundTripMs: number | null
}

/** Whether the proposal may go now without holding. */
export function proposalFilled (view: PacingView, options: PacingOptions): boolean {
  return view.newTxs >= options.fillTxs || view.newBytes >= options.fillBytes
}

/**
 * How long to hold the proposal (0: now). The hold is one round trip at the most, so a
 * held round carries what arrived in about two round trips' time while adding at most one
 * round trip to its txs' latency, and never more than `maxHoldMs`.
 */
export function proposalHoldMs (view: PacingView, options: PacingOptions): number {
  if (view.inFlightTxs === 0) return 0 // idle with data: the first round of a burst goes at once
  if (view.newTxs === 0) return 0 // only a QC to carry: its commit does not wait
  if (proposalFilled(view, options)) return 0
  if (view.roundTripMs === null) return 0
  return Math.max(0, Math.min(options.maxHoldMs, view.roundTripMs))
}
