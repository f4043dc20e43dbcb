/**
 * The committee network's options: defaults (each with its reason), the checks at the
 * boundary, the fixed limits the libp2p node is built with, and the protocol ids.
 */
import { P2PError, P2PErrorCode } from './errors.js'
import type { CommitteeTransportOptions } from './types.js'

export const defaultCommitteeTransportOptions = {
  /** a few rounds of proposals, votes and timeouts for one member; older ones are stale anyway */
  maxQueuedMessages: 1024,
  /**
   * twice the default first round timeout: an older consensus message is for a round that
   * is over, and a member away that long gets back through fresh timeouts and certificates
   * (round sync) and catch-up; replaying the backlog kept it behind for seconds
   */
  maxQueuedMessageAgeMs: 2000,
  /** 128 chunks of 32 KiB per member: keeps the link busy while bounding memory */
  maxQueuedChunkBytes: 4 * 1024 * 1024,
  /** a member this slow is as good as down for dissemination; it can fetch chunks by digest */
  chunkStallMs: 2000,
  /** a restarted member on a LAN is back within a few round trips */
  redialMinMs: 100,
  /** a member back from a long outage (or healed) is found within ~2 s; only the lower index of a pair dials, so this is the wait */
  redialMaxMs: 2000,
  /** enough parallelism for catch-up sync; bounds what one member can make us do at once */
  maxConcurrentRequests: 64,
  /** the committee talks only to itself */
  allowNonMemberConnections: false
} as const

/** Dial and stream-open attempts give up after this; the redial loop tries again. */
export const CONNECT_TIMEOUT_MS = 5000
/** Inbound streams per protocol per connection: one live, plus ones being replaced. */
export const MAX_INBOUND_STREAMS = 8
/** libp2p refuses more than 5 new connections per second per host by default; a devnet runs a whole committee on one host. */
export const INBOUND_CONNECTIONS_PER_HOST_PER_SECOND = 100
/**
 * libp2p pings every connection each 10 s and aborts it when a ping takes longer than an
 * adaptive timeout of at least 5 s. An overloaded but live member (the gossipsub throughput
 * bench) missed that and lost its connections with their in-flight chunks; a member that
 * is really gone usually closes its TCP connection at once anyway.
 */
export const PING_MIN_TIMEOUT_MS = 15_000
/**
 * gossipsub resets a member's stream beyond this much unsent data: a memory cap far above
 * the publisher's bound, since forwarded chunks also land in that buffer.
 */
export const GOSSIP_OUTBOUND_BUFFER_FACTOR = 16

export type ResolvedCommitteeOptions =
  Required<Omit<CommitteeTransportOptions, 'announce' | 'peers' | 'metrics' | 'logger' | 'isolation' | 'peerGuard'>> &
  Pick<CommitteeTransportOptions, 'announce' | 'isolation'>

/** The defaults filled in and the options checked; throws P2P_BAD_CONFIG. */
export function resolveCommitteeOptions (options: CommitteeTransportOptions): ResolvedCommitteeOptions {
  const opts = { ...defaultCommitteeTransportOptions, ...withoutUndefined(options) }
  const bad = (message: string): never => { throw new P2PError(P2PErrorCode.BAD_CONFIG, message) }
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(opts.chainId)) bad('chainId must be 1-64 letters, digits, ".", "_" or "-"')
  if (!Number.isInteger(opts.selfIndex) || opts.selfIndex < 0 || opts.selfIndex >= opts.committeeKeys.length) bad('selfIndex is not a committee index')
  if (!Number.isInteger(opts.maxMessageBytes) || opts.maxMessageBytes < 1) bad('maxMessageBytes must be a positive integer')
  if (!(opts.maxQueuedMessageAgeMs > 0)) bad('maxQueuedMessageAgeMs must be positive')
  if (opts.chunkTransport !== 'direct' && opts.chunkTransport !== 'gossipsub') bad('chunkTransport must be "direct" or "gossipsub"')
  if (opts.listen.length === 0) bad('listen needs at least one multiaddr')
  return {
    chainId: opts.chainId,
    committeeKeys: opts.committeeKeys,
    selfIndex: opts.selfIndex,
    seed: opts.seed,
    listen: opts.listen,
    announce: opts.announce,
    maxMessageBytes: opts.maxMessageBytes,
    chunkTransport: opts.chunkTransport,
    maxQueuedMessages: opts.maxQueuedMessages,
    maxQueuedMessageAgeMs: opts.maxQueuedMessageAgeMs,
    maxQueuedChunkBytes: opts.maxQueuedChunkBytes,
    chunkStallMs: opts.chunkStallMs,
    redialMinMs: opts.redialMinMs,
    redialMaxMs: opts.redialMaxMs,
    maxConcurrentRequests: opts.maxConcurrentRequests,
    allowNonMemberConnections: opts.allowNonMemberConnections,
    isolation: opts.isolation
  }
}

export function withoutUndefined<T extends object> (value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T
}

/** The committee's protocol ids; the direct chunk protocol and the gossip topic share one name. */
export function committeeProtocols (chainId: string): { consensus: string, chunks: string, chunkTopic: string, request: (name: string) => string } {
  return {
    consensus: `/seq/${chainId}/consensus/1`,
    chunks: `/seq/${chainId}/chunks/1`,
    chunkTopic: `/seq/${chainId}/chunks/1`,
    request: (name) => `/seq/${chainId}/req/${name}/1`
  }
}
