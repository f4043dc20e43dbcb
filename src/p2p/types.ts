/**
 * The committee transport's public types. The transport moves opaque bytes between
 * committee members (known from genesis) and knows nothing of our message formats.
 */
import type { Logger } from 'pino'
import type { PeerGuardOptions, PeerStanding } from './peer-guard.js'
import type { NetworkIsolation } from './isolation.js'

/** A chunk validator's verdict; in gossipsub mode it drives peer scoring. */
export type ChunkVerdict = 'accept' | 'ignore' | 'reject'

/** `from` is the member that handed us the chunk (in gossipsub mode, possibly a forwarder). */
export type ChunkValidator = (from: number, bytes: Uint8Array, id: Uint8Array) => ChunkVerdict
export type MessageHandler = (from: number, bytes: Uint8Array) => void
export type RequestHandler = (from: number, bytes: Uint8Array) => Promise<Uint8Array>

export interface PeerAddress {
  index: number
  /** multiaddrs, with or without a /p2p/<id> suffix (which must then name that member) */
  addrs: string[]
}

/** A counter; prom-client's `Counter` fits as is. */
export interface P2PCounter<L extends string> {
  inc (labels: Partial<Record<L, string>>, value?: number): void
}

export interface P2PMetrics {
  /** messages written, by kind: consensus | chunk | request | response (per recipient; a gossip publish counts once), and peer (member index) for consensus and direct chunks */
  messagesOut: P2PCounter<'kind' | 'peer'>
  /** messages received and handed to a handler, by kind and peer (the member index of the sender, or of the forwarder for gossip) */
  messagesIn: P2PCounter<'kind' | 'peer'>
  /** frame bytes written (length prefix and headers included, below noise and yamux), by kind as messagesOut */
  bytesOut: P2PCounter<'kind'>
  /** frame bytes received and admitted, by kind (consensus | chunk | request | response) */
  bytesIn: P2PCounter<'kind'>
  /** inbound traffic refused, by kind (connection | consensus | chunk | request | response) and reason (a P2PErrorCode) */
  refused: P2PCounter<'kind' | 'reason'>
  /** outbound messages not sent, by kind and reason (queue_full | not_connected | stalled | not_running | expired | no_handler) */
  dropped: P2PCounter<'kind' | 'reason'>
  /** chunk verdicts, by topic (gossip topic or direct protocol id), verdict and reason (validator | error | no_validator | a P2PErrorCode) */
  chunkVerdicts: P2PCounter<'topic' | 'verdict' | 'reason'>
  /** our requests, by protocol name and outcome (ok or a P2PErrorCode) */
  requests: P2PCounter<'protocol' | 'outcome'>
  /** dials to members, by outcome (ok | failed) */
  dials: P2PCounter<'outcome'>
  /** connections we closed to keep one healthy link per member: `superseded` by a newer one, `gossip_link_lost` */
  connectionsReplaced: P2PCounter<'reason'>
  /** inbound messages, frames and connections rejected, by reason (a P2PErrorCode or a consensus reject code) and peer (member index or "other") */
  rejected: P2PCounter<'reason' | 'peer'>
  /** peers banned after their score fell to the threshold, by peer (member index or "other") */
  bans: P2PCounter<'peer'>
}

export interface CommitteeTransportOptions {
  chainId: string
  /** index = member index */
  committeeKeys: Uint8Array[]
  selfIndex: number
  /** this member's ed25519 seed; the libp2p identity is derived from it */
  seed: Uint8Array
  /** multiaddrs to listen on, e.g. ['/ip4/127.0.0.1/tcp/0'] */
  listen: string[]
  announce?: string[]
  /** where to dial the other members; more can be given after start with `setPeers()` */
  peers?: PeerAddress[]
  /** messages, chunks, requests and responses above this are refused */
  maxMessageBytes: number
  chunkTransport: 'direct' | 'gossipsub'
  metrics?: P2PMetrics | null
  logger?: Logger | null
  /** per-member consensus queue bound, in messages; the oldest is dropped beyond it */
  maxQueuedMessages?: number
  /** a consensus message not sent within this many ms (member unreachable, stream blocked) is dropped as `expired` */
  maxQueuedMessageAgeMs?: number
  /** per-member chunk queue bound, in bytes (gossipsub: unsent bytes on its stream); `publishChunk` waits while a queue is above it */
  maxQueuedChunkBytes?: number
  /** direct mode: how long `publishChunk` waits for one member's queue before dropping the chunk for that member */
  chunkStallMs?: number
  /** redial backoff for unreachable members: first and largest delay */
  redialMinMs?: number
  redialMaxMs?: number
  /** requests one inbound request stream may have in flight; beyond, requests get an error response */
  maxConcurrentRequests?: number
  /** admit connections from non-members (e.g. observers); their streams and gossip are still refused */
  allowNonMemberConnections?: boolean
  /** peer scores, bans and inbound rate limits (see peer-guard.ts); defaults per field */
  peerGuard?: Partial<PeerGuardOptions>
  /** dev control: refuses all connections while isolated (src/p2p/isolation.ts) */
  isolation?: NetworkIsolation
}

export interface CommitteeTransport {
  /** Safe to call twice; a failed start stops what it started and rethrows. */
  start (): Promise<void>
  /** Closes everything; safe to call twice. Pending requests and publishes reject with P2P_NOT_RUNNING. */
  stop (): Promise<void>
  /** actual listen multiaddrs after start, each ending in /p2p/<our PeerId> */
  readonly listenAddrs: string[]
  readonly selfIndex: number
  peerIdOf (index: number): string
  /** Adds or replaces members' addresses and dials them now. */
  setPeers (peers: PeerAddress[]): void
  connectedMembers (): number[]
  /**
   * Consensus message to one member: best effort, in order per member, queued (bounded in
   * count and age: `maxQueuedMessageAgeMs`) while it is unreachable. Dropped (and counted) when the transport is not running; throws
   * P2P_BAD_ARGUMENT for our own or an unknown index and P2P_TOO_LARGE above maxMessageBytes.
   */
  send (to: number, bytes: Uint8Array): void
  /** Consensus message to every other member. */
  broadcast (bytes: Uint8Array): void
  /** One handler; a second call replaces it. */
  onMessage (handler: MessageHandler): void
  /**
   * Disseminates a chunk to every other member. Resolves once queued; waits while a member's
   * queue is over its bound (direct mode: at most `chunkStallMs` per member). `id` is the 32-byte chunk digest.
   */
  publishChunk (bytes: Uint8Array, id: Uint8Array): Promise<void>
  /** The validator also consumes the chunk. One validator; a second call replaces it. */
  onChunk (validator: ChunkValidator): void
  /** Request/response with one member; rejects with a P2PError. */
  request (to: number, protocol: string, bytes: Uint8Array, timeoutMs: number): Promise<Uint8Array>
  /** Serves `protocol` (letters, digits, '-', '_'); a second call replaces the handler. */
  handle (protocol: string, handler: RequestHandler): void
  /**
   * A message of member `from` was refused above the transport (e.g. a vote with a bad
   * signature): count it under `reason` and lower the member's score by `penalty`, which
   * may end in a temporary ban. Our own index is ignored.
   */
  reportReject (from: number, reason: string, penalty: number): void
  /** Scores and bans of the peers the transport remembers. */
  peerStandings (): PeerStanding[]
  /** Open libp2p connections to each other member (1 when healthy, see connection-policy.ts). */
  connectionCounts (): Map<number, number>
}
