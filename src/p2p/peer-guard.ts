/**
 * Per-peer defences of the committee transport: a score that every rejected message lowers,
 * temporary bans below a threshold, and inbound rate limits.
 *
 * - Score: starts at 0, each reject subtracts its reason's penalty, and the sum decays
 *   towards 0 with a half-life, so a member that slips now and then (a race, a bug) never
 *   adds up to a ban while one that keeps sending bad messages does within a few of them.
 * - Ban: at `banScore` or below, the peer's connections are closed and refused (connection
 *   gater) for a while. A committee member may be honest but buggy and the committee needs
 *   it back, so its bans are short and double per repeat (`memberBanMs` .. `maxMemberBanMs`),
 *   and the strikes are forgiven after `forgiveMs` without a ban. A non-member has no
 *   business here at all and is refused for `outsiderBanMs`.
 * - Rate limits: token buckets per peer, one per frame kind (frames per second) and one for
 *   all its bytes. A frame over budget is dropped before it is decoded or verified, counted
 *   as P2P_RATE_LIMITED and costs a small penalty, so a flood ends in a ban within a fraction
 *   of a second and cannot starve the event loop for long. Honest traffic stays far below:
 *   see `defaultPeerGuardOptions`.
 *
 * Metrics: `rejected{reason, peer}` with `peer` the member index or "other" (bounded
 * cardinality: outsiders can mint any number of identities), `bans{peer}`.
 */
import { P2PErrorCode } from './errors.js'
import { backoffDelay } from '../util/index.js'
import { TokenBucket } from '../util/token-bucket.js'
import type { P2PCounter } from './types.js'

export type FrameKind = 'consensus' | 'chunk' | 'request'

export interface PeerGuardOptions {
  /** a peer at or below this score is banned */
  banScore: number
  /** penalties halve after this long */
  scoreHalfLifeMs: number
  /** a member's first ban; each further one doubles, up to `maxMemberBanMs` */
  memberBanMs: number
  maxMemberBanMs: number
  /** a member's bans are counted afresh after this long without one */
  forgiveMs: number
  /** a non-member's ban */
  outsiderBanMs: number
  /** inbound frames per second per peer, and the burst allowed, by frame kind */
  framesPerSecond: Record<FrameKind, number>
  frameBurst: Record<FrameKind, number>
  /** inbound bytes per second per peer over all its streams, and the burst allowed */
  bytesPerSecond: number
  byteBurst: number
  /** peers remembered at most (outsiders can make up identities); the oldest outsider goes first */
  maxTrackedPeers: number
}

/**
 * What honest traffic from one member can be, from the committee's configuration: every
 * frame kind is bounded by rounds, and rounds by the round trip they need.
 */
export interface CommitteeTrafficBound {
  /**
   * Fastest rounds the committee can run: a round needs a proposal hop and a vote hop, each
   * at least a libp2p message (~0.25 ms CPU on either end) and an ed25519 verify (~0.13
   * ms), so ~1 ms per round on loopback; 500/s leaves room for faster hardware.
   */
  maxRoundsPerSecond: number
  /** consensus messages one member sends another in a round: proposal, vote, timeout, and one spare (a vote re-sent after a view change) */
  consensusMessagesPerRound: number
  /** chunk frames one member sends another in a round: the packer packs about once per round and lane (one lane per rollup) */
  chunksPerRound: number
  /** requests (chunk and block fetches, catch-up) one member sends another in a round */
  requestsPerRound: number
  /** factor over the bound before frames are dropped (bursts after a stall, a member catching up) */
  headroom: number
  /** burst allowed, in seconds of the rate, and at least `minBurst` frames */
  burstSeconds: number
  /** a member that reconnects flushes its whole outbound consensus queue (1024 messages) at once */
  minBurst: number
}

export const defaultCommitteeTraffic: CommitteeTrafficBound = {
  maxRoundsPerSecond: 500,
  consensusMessagesPerRound: 4,
  chunksPerRound: 2, // the default genesis has two rollups; the node passes its own count
  requestsPerRound: 1,
  headroom: 4,
  burstSeconds: 0.125, // a flood meets the limit within its first thousand frames
  minBurst: 1024
}

/**
 * Inbound frame limits per peer derived from the traffic bound: rate = rounds/s x frames
 * per round x headroom, per kind. With the defaults: consensus 8,000/s, chunk 4,000/s,
 * request 2,000/s (a fixed 1,000 consensus frames/s would ban an honest member of a
 * committee running 250+ rounds/s).
 */
export function frameLimitsFor (bound: CommitteeTrafficBound): Pick<PeerGuardOptions, 'framesPerSecond' | 'frameBurst'> {
  const rate = (perRound: number): number => Math.ceil(bound.maxRoundsPerSecond * Math.max(1, perRound) * bound.headroom)
  const framesPerSecond = { consensus: rate(bound.consensusMessagesPerRound), chunk: rate(bound.chunksPerRound), request: rate(bound.requestsPerRound) }
  const burst = (r: number): number => Math.max(bound.minBurst, Math.ceil(r * bound.burstSeconds))
  return { framesPerSecond, frameBurst: { consensus: burst(framesPerSecond.consensus), chunk: burst(framesPerSecond.chunk), request: burst(framesPerSecond.request) } }
}

export const defaultPeerGuardOptions: PeerGuardOptions = {
  banScore: -100,
  scoreHalfLifeMs: 10_000, // a burst of honest races is forgotten within a minute
  memberBanMs: 5000, // a few round timeouts: long enough to stop a flood, short enough for liveness
  maxMemberBanMs: 60_000,
  forgiveMs: 10 * 60_000,
  outsiderBanMs: 10 * 60_000,
  // from the rounds a committee can run at most, see frameLimitsFor
  ...frameLimitsFor(defaultCommitteeTraffic),
  // Catch-up responses carry up to 256 batches: room for two 32 MiB messages back to back.
  bytesPerSecond: 128 * 1024 * 1024,
  byteBurst: 256 * 1024 * 1024,
  maxTrackedPeers: 4096
}

/** What a refusal says about the peer (as in Lodestar's gossip validation). */
export type PeerVerdict = 'REJECT' | 'IGNORE'

export interface P2PRejectPolicy {
  /** REJECT: only a faulty or hostile peer causes it; IGNORE: an honest one can, under load or in a race */
  verdict: PeerVerdict
  /** subtracted from the peer's score */
  penalty: number
}

/** The P2P codes inbound traffic is refused with; each is the `rejected{reason}` label and the log field. */
export type P2PRejectCode =
  | typeof P2PErrorCode.MALFORMED | typeof P2PErrorCode.TOO_LARGE | typeof P2PErrorCode.NOT_MEMBER
  | typeof P2PErrorCode.CHUNK_INVALID | typeof P2PErrorCode.RATE_LIMITED | typeof P2PErrorCode.BANNED

export const p2pRejectPolicies: Readonly<Record<P2PRejectCode, P2PRejectPolicy>> = {
  // framing is ours and simple: a broken frame is never an accident
  [P2PErrorCode.MALFORMED]: { verdict: 'REJECT', penalty: 20 },
  [P2PErrorCode.TOO_LARGE]: { verdict: 'REJECT', penalty: 50 },
  // four attempts, then ten minutes of silence
  [P2PErrorCode.NOT_MEMBER]: { verdict: 'REJECT', penalty: 25 },
  [P2PErrorCode.CHUNK_INVALID]: { verdict: 'REJECT', penalty: 10 },
  // per dropped frame: an honest burst costs a few, 100 of them within seconds is a flood
  [P2PErrorCode.RATE_LIMITED]: { verdict: 'IGNORE', penalty: 1 },
  // already banned: counted, not scored again
  [P2PErrorCode.BANNED]: { verdict: 'IGNORE', penalty: 0 }
}

/** The penalty of a code: its policy's, or `DEFAULT_PENALTY` for a code from another layer (e.g. the public network's). */
export function p2pPenaltyOf (code: string): number {
  return (p2pRejectPolicies as Readonly<Record<string, P2PRejectPolicy>>)[code]?.penalty ?? DEFAULT_PENALTY
}
/** a code without a policy of its own */
export const DEFAULT_PENALTY = 10

export interface PeerGuardMetrics {
  rejected: P2PCounter<'reason' | 'peer'>
  bans: P2PCounter<'peer'>
}

export interface PeerGuardDeps {
  /** member index of a peer id, undefined for a non-member */
  memberIndex: (peerId: string) => number | undefined
  /** the peer fell to the ban threshold: close its connections */
  onBan: (peerId: string, durationMs: number) => void
  metrics?: PeerGuardMetrics | null
  now?: () => number
}

export interface PeerStanding {
  peerId: string
  member: number | undefined
  score: number
  bannedForMs: number
}

interface PeerRecord {
  score: number
  scoredAt: number
  bannedUntil: number
  strikes: number
  lastBanAt: number
  frames: Map<FrameKind, TokenBucket>
  bytes: TokenBucket
}

export class PeerGuard {
  readonly #opts: PeerGuardOptions
  readonly #deps: PeerGuardDeps
  readonly #now: () => number
  readonly #peers = new Map<string, PeerRecord>()

  constructor (deps: PeerGuardDeps, opts: PeerGuardOptions = defaultPeerGuardOptions) {
    this.#opts = opts
    this.#deps = deps
    this.#now = deps.now ?? (() => performance.now())
  }

  /**
   * Counts a rejected message or connection of `peerId` under `reason` and lowers its score
   * by `penalty` (by default the reason's). Returns true when the peer is banned now.
   */
  reject (peerId: string, reason: string, penalty = p2pPenaltyOf(reason)): boolean {
    const member = this.#deps.memberIndex(peerId)
    this.#deps.metrics?.rejected.inc({ reason, peer: peerLabel(member) })
    const record = this.#record(peerId)
    const now = this.#now()
    if (record.bannedUntil > now) return true
    record.score = this.#decayed(record, now) - penalty
    record.scoredAt = now
    if (record.score > this.#opts.banScore) return false
    this.#ban(peerId, member, record, now)
    return true
  }

  isBanned (peerId: string): boolean {
    return (this.#peers.get(peerId)?.bannedUntil ?? 0) > this.#now()
  }

  /**
   * Charges one inbound frame of `bytes` to the peer's budgets. False when it must be dropped:
   * the peer is banned (counted as P2P_BANNED) or over budget (P2P_RATE_LIMITED, penalised).
   */
  admitFrame (peerId: string, kind: FrameKind, bytes: number): boolean {
    const record = this.#record(peerId)
    const now = this.#now()
    if (record.bannedUntil > now) {
      this.reject(peerId, P2PErrorCode.BANNED)
      return false
    }
    let frames = record.frames.get(kind)
    if (frames === undefined) {
      frames = new TokenBucket(this.#opts.framesPerSecond[kind], this.#opts.frameBurst[kind], now)
      record.frames.set(kind, frames)
    }
    if (frames.take(1, now) && record.bytes.take(bytes, now)) return true
    this.reject(peerId, P2PErrorCode.RATE_LIMITED)
    return false
  }

  /** Every remembered peer with its current (decayed) score and remaining ban. */
  standings (): PeerStanding[] {
    const now = this.#now()
    return [...this.#peers].map(([peerId, record]) => ({
      peerId,
      member: this.#deps.memberIndex(peerId),
      score: this.#decayed(record, now),
      bannedForMs: Math.max(0, record.bannedUntil - now)
    }))
  }

  #ban (peerId: string, member: number | undefined, record: PeerRecord, now: number): void {
    let durationMs = this.#opts.outsiderBanMs
    if (member !== undefined) {
      if (now - record.lastBanAt > this.#opts.forgiveMs) record.strikes = 0
      durationMs = backoffDelay(record.strikes, this.#opts.memberBanMs, this.#opts.maxMemberBanMs)
      record.strikes++
    }
    record.bannedUntil = now + durationMs
    record.lastBanAt = now
    // The ban is the punishment: the peer comes back with a clean score.
    record.score = 0
    this.#deps.metrics?.bans.inc({ peer: peerLabel(member) })
    this.#deps.onBan(peerId, durationMs)
  }

  #decayed (record: PeerRecord, now: number): number {
    return record.score * 2 ** (-(now - record.scoredAt) / this.#opts.scoreHalfLifeMs)
  }

  #record (peerId: string): PeerRecord {
    let record = this.#peers.get(peerId)
    if (record !== undefined) return record
    if (this.#peers.size >= this.#opts.maxTrackedPeers) {
      // Members stay: only outsiders can be minted in numbers.
      for (const known of this.#peers.keys()) {
        if (this.#deps.memberIndex(known) !== undefined) continue
        this.#peers.delete(known)
        break
      }
    }
    const now = this.#now()
    record = {
      score: 0,
      scoredAt: now,
      bannedUntil: 0,
      strikes: 0,
      lastBanAt: Number.NEGATIVE_INFINITY,
      frames: new Map(),
      bytes: new TokenBucket(this.#opts.bytesPerSecond, this.#opts.byteBurst, this.#now())
    }
    this.#peers.set(peerId, record)
    return record
  }
}

/** The `peer` metric label: a member's index, "other" for everyone else. */
export function peerLabel (member: number | undefined): string {
  return member === undefined ? 'other' : String(member)
}
