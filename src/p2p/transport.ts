/**
 * The committee transport over libp2p 3: TCP, noise, yamux, identify, and gossipsub 17 when
 * chunks go by gossip. It moves opaque bytes between committee members only.
 *
 * - Identity: our libp2p key is our genesis ed25519 key, so a PeerId maps to a member index.
 *   The connection gater refuses non-members after the noise handshake (which proves the
 *   key); every stream handler checks again, and so does the gossip validator.
 * - Consensus messages: one long-lived outbound stream per member (`/seq/<chain>/consensus/1`)
 *   with length-prefixed frames, a bounded drop-oldest queue, reopened on failure.
 * - Chunks: `direct` writes each chunk once to every other member over a second stream
 *   (`/seq/<chain>/chunks/1`) with publisher backpressure; `gossipsub` publishes on the
 *   topic `/seq/<chain>/chunks/1`. See bench/results/p2p-chunk-throughput.md for the choice.
 * - Requests: `/seq/<chain>/req/<name>/1`, one reused stream per member, by correlation id.
 * - Connections: one per pair, dialled by the lower index, newest wins (connection-policy.ts).
 */
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { TopicValidatorResult, type GossipSub } from '@libp2p/gossipsub'
import { identify, type Identify } from '@libp2p/identify'
import type { Connection, PeerId, PrivateKey, Stream, StreamHandler } from '@libp2p/interface'
import { tcp } from '@libp2p/tcp'
import { CODE_P2P, multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import { createLibp2p, type Libp2p } from 'libp2p'
import type { Logger } from 'pino'
import { CHUNK_ID_BYTES, chunkEnvelope, judgeChunk, type ChunkJudgement } from './chunks.js'
import { P2PError, P2PErrorCode } from './errors.js'
import { encodeFrame, FrameDecoder } from './framing.js'
import { chunkGossipsub } from './gossip.js'
import { CommitteeDirectory, privateKeyFromSeed } from './identity.js'
import { dialsTo, gossipLinksToReset, newestOpen, supersededBy } from './connection-policy.js'
import { MemberDialer } from './member-dialer.js'
import { defaultPeerGuardOptions, PeerGuard, type FrameKind, type PeerStanding } from './peer-guard.js'
import { OutboundChannel, type DropReason } from './outbound-channel.js'
import { RequestChannel, serveRequests } from './request-response.js'
import { closeWhenRemoteCloses, waitForDrainOrTimeout } from './stream-utils.js'
import type {
  ChunkValidator, CommitteeTransport, CommitteeTransportOptions, MessageHandler, P2PMetrics, PeerAddress, RequestHandler
} from './types.js'

export const defaultCommitteeTransportOptions = {
  /** a few rounds of proposals, votes and timeouts for one member; older ones are stale anyway */
  maxQueuedMessages: 1024,
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
const CONNECT_TIMEOUT_MS = 5000
/** Inbound streams per protocol per connection: one live, plus ones being replaced. */
const MAX_INBOUND_STREAMS = 8
/** libp2p refuses more than 5 new connections per second per host by default; a devnet runs a whole committee on one host. */
const INBOUND_CONNECTIONS_PER_HOST_PER_SECOND = 100
/**
 * libp2p pings every connection each 10 s and aborts it when a ping takes longer than an
 * adaptive timeout of at least 5 s. An overloaded but live member (the gossipsub throughput
 * bench) missed that and lost its connections with their in-flight chunks; a member that
 * is really gone usually closes its TCP connection at once anyway.
 */
const PING_MIN_TIMEOUT_MS = 15_000
/**
 * gossipsub resets a member's stream beyond this much unsent data: a memory cap far above
 * the publisher's bound, since forwarded chunks also land in that buffer.
 */
const GOSSIP_OUTBOUND_BUFFER_FACTOR = 16
/** how often a publisher waiting for gossip room looks again if no drain event came */
const GOSSIP_ROOM_RECHECK_MS = 100
/** gossipsub opens its outbound stream within a round trip or two of identify; a link without one after this is broken */
const GOSSIP_LINK_GRACE_MS = 3000
const GOSSIP_LINK_CHECK_MS = 1000
const PROTOCOL_NAME = /^[A-Za-z0-9_-]{1,64}$/

type ResolvedOptions = Required<Omit<CommitteeTransportOptions, 'announce' | 'peers' | 'metrics' | 'logger' | 'isolation' | 'peerGuard'>> &
  Pick<CommitteeTransportOptions, 'announce' | 'isolation'>

interface Services extends Record<string, unknown> {
  identify: Identify
  pubsub?: GossipSub
}

/** gossipsub 17 internals read for publisher backpressure (its `publish` has none). */
interface GossipInternals {
  streamsOutbound?: Map<string, { rawStream: Stream }>
}

type Status = 'new' | 'starting' | 'started' | 'stopping' | 'stopped'

export async function createCommitteeTransport (options: CommitteeTransportOptions): Promise<CommitteeTransport> {
  const opts = resolveOptions(options)
  const directory = new CommitteeDirectory(options.committeeKeys)
  const privateKey = await privateKeyFromSeed(options.seed)
  if (!equalBytes(privateKey.publicKey.raw, options.committeeKeys[opts.selfIndex]!)) {
    throw new P2PError(P2PErrorCode.BAD_CONFIG, `the seed does not belong to committee member ${opts.selfIndex}`)
  }
  const transport = new Libp2pCommitteeTransport(opts, privateKey, directory, options.metrics ?? null, options.logger ?? null, options.peerGuard ?? {})
  if (options.peers !== undefined) transport.setPeers(options.peers)
  return transport
}

function resolveOptions (options: CommitteeTransportOptions): ResolvedOptions {
  const opts = { ...defaultCommitteeTransportOptions, ...withoutUndefined(options) }
  const bad = (message: string): never => { throw new P2PError(P2PErrorCode.BAD_CONFIG, message) }
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(opts.chainId)) bad('chainId must be 1-64 letters, digits, ".", "_" or "-"')
  if (!Number.isInteger(opts.selfIndex) || opts.selfIndex < 0 || opts.selfIndex >= opts.committeeKeys.length) bad('selfIndex is not a committee index')
  if (!Number.isInteger(opts.maxMessageBytes) || opts.maxMessageBytes < 1) bad('maxMessageBytes must be a positive integer')
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
    maxQueuedChunkBytes: opts.maxQueuedChunkBytes,
    chunkStallMs: opts.chunkStallMs,
    redialMinMs: opts.redialMinMs,
    redialMaxMs: opts.redialMaxMs,
    maxConcurrentRequests: opts.maxConcurrentRequests,
    allowNonMemberConnections: opts.allowNonMemberConnections,
    isolation: opts.isolation
  }
}

function withoutUndefined<T extends object> (value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T
}

function equalBytes (a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && a.every((byte, i) => byte === b[i])
}

class Libp2pCommitteeTransport implements CommitteeTransport {
  readonly selfIndex: number
  readonly #opts: ResolvedOptions
  readonly #privateKey: PrivateKey
  readonly #directory: CommitteeDirectory
  readonly #metrics: P2PMetrics | null
  readonly #log: Logger | null
  readonly #others: number[]
  readonly #consensusProtocol: string
  readonly #chunkProtocol: string
  readonly #topic: string
  #status: Status = 'new'
  #starting: Promise<void> | undefined
  #stopping: Promise<void> | undefined
  #node: Libp2p<Services> | undefined
  #gossip: GossipSub | undefined
  #dialer: MemberDialer | undefined
  #gossipLinkTimer: ReturnType<typeof setInterval> | undefined
  readonly #consensus = new Map<number, OutboundChannel>()
  readonly #chunks = new Map<number, OutboundChannel>()
  readonly #requestChannels = new Map<string, RequestChannel>()
  readonly #requestHandlers = new Map<string, RequestHandler>()
  readonly #peerAddrs = new Map<number, Multiaddr[]>()
  #messageHandler: MessageHandler | undefined
  #chunkValidator: ChunkValidator | undefined
  readonly #guard: PeerGuard

  constructor (
    opts: ResolvedOptions, privateKey: PrivateKey, directory: CommitteeDirectory, metrics: P2PMetrics | null, logger: Logger | null,
    guardOptions: CommitteeTransportOptions['peerGuard'] & object
  ) {
    this.#opts = opts
    this.selfIndex = opts.selfIndex
    this.#privateKey = privateKey
    this.#directory = directory
    this.#metrics = metrics
    this.#log = logger?.child({ module: 'p2p', member: opts.selfIndex }) ?? null
    this.#others = directory.peerIds.map((_, i) => i).filter((i) => i !== opts.selfIndex)
    this.#consensusProtocol = `/seq/${opts.chainId}/consensus/1`
    this.#chunkProtocol = `/seq/${opts.chainId}/chunks/1`
    this.#topic = `/seq/${opts.chainId}/chunks/1`
    this.#guard = new PeerGuard({
      memberIndex: (peerId) => directory.indexOf(peerId),
      onBan: (peerId, durationMs) => { this.#onBan(peerId, durationMs) },
      metrics
    }, { ...defaultPeerGuardOptions, ...withoutUndefined(guardOptions) })
  }

  get listenAddrs (): string[] {
    return this.#node?.getMultiaddrs().map((ma) => ma.toString()) ?? []
  }

  peerIdOf (index: number): string {
    return this.#directory.peerId(index).toString()
  }

  connectedMembers (): number[] {
    return this.#others.filter((i) => this.#isConnected(i))
  }

  async start (): Promise<void> {
    if (this.#status === 'started') return
    if (this.#status === 'starting') return this.#starting
    if (this.#status !== 'new') throw new P2PError(P2PErrorCode.NOT_RUNNING, 'a stopped transport cannot start again; create a new one')
    this.#status = 'starting'
    this.#starting = this.#start()
    try {
      await this.#starting
      this.#status = 'started'
    } catch (err) {
      await this.#teardown()
      this.#status = 'stopped'
      throw err
    }
  }

  async stop (): Promise<void> {
    this.#stopping ??= (async () => {
      await this.#starting?.catch(() => {})
      this.#status = 'stopping'
      await this.#teardown()
      this.#status = 'stopped'
    })()
    return this.#stopping
  }

  setPeers (peers: PeerAddress[]): void {
    for (const { index, addrs } of peers) {
      this.#checkMember(index)
      const expected = this.peerIdOf(index)
      const parsed = addrs.map((addr) => {
        let ma: Multiaddr
        try {
          ma = multiaddr(addr)
        } catch (err) {
          throw new P2PError(P2PErrorCode.BAD_ARGUMENT, `member ${index}: bad multiaddr ${addr}: ${(err as Error).message}`)
        }
        const p2p = ma.getComponents().find((c) => c.code === CODE_P2P)
        if (p2p === undefined) return ma
        if (p2p.value !== expected) throw new P2PError(P2PErrorCode.BAD_ARGUMENT, `member ${index}: ${addr} names another peer`)
        return ma.decapsulateCode(CODE_P2P)
      })
      this.#peerAddrs.set(index, parsed)
      if (this.#node !== undefined) this.#applyAddresses(index)
    }
  }

  send (to: number, bytes: Uint8Array): void {
    this.#checkMember(to)
    this.#checkSize(bytes)
    const channel = this.#consensus.get(to)
    if (channel === undefined) {
      this.#metrics?.dropped.inc({ kind: 'consensus', reason: 'not_running' })
      return
    }
    channel.pushDroppable(encodeFrame(bytes))
  }

  broadcast (bytes: Uint8Array): void {
    this.#checkSize(bytes)
    if (this.#consensus.size === 0) {
      this.#metrics?.dropped.inc({ kind: 'consensus', reason: 'not_running' }, this.#others.length)
      return
    }
    const frame = encodeFrame(bytes)
    for (const channel of this.#consensus.values()) channel.pushDroppable(frame)
  }

  onMessage (handler: MessageHandler): void {
    this.#messageHandler = handler
  }

  async publishChunk (bytes: Uint8Array, id: Uint8Array): Promise<void> {
    if (id.byteLength !== CHUNK_ID_BYTES) throw new P2PError(P2PErrorCode.BAD_ARGUMENT, 'a chunk id is 32 bytes')
    this.#checkSize(bytes)
    if (this.#status !== 'started') throw new P2PError(P2PErrorCode.NOT_RUNNING, 'the transport is not running')
    if (this.#gossip === undefined) {
      const frame = encodeFrame(id, bytes)
      await Promise.all([...this.#chunks.values()].map(async (channel) => channel.pushWithRoom(frame)))
      if (this.#status !== 'started') throw new P2PError(P2PErrorCode.NOT_RUNNING, 'the transport stopped')
      return
    }
    await this.#waitForGossipRoom()
    if (this.#status !== 'started') throw new P2PError(P2PErrorCode.NOT_RUNNING, 'the transport stopped')
    const envelope = chunkEnvelope(id, bytes)
    await this.#gossip.publish(this.#topic, envelope)
    this.#metrics?.messagesOut.inc({ kind: 'chunk' })
    this.#metrics?.bytesOut.inc({ kind: 'chunk' }, envelope.byteLength)
  }

  onChunk (validator: ChunkValidator): void {
    this.#chunkValidator = validator
  }

  async request (to: number, protocol: string, bytes: Uint8Array, timeoutMs: number): Promise<Uint8Array> {
    this.#checkMember(to)
    checkProtocolName(protocol)
    let outcome: string = 'ok'
    try {
      this.#checkSize(bytes)
      if (this.#status !== 'started') throw new P2PError(P2PErrorCode.NOT_RUNNING, 'the transport is not running')
      this.#metrics?.bytesOut.inc({ kind: 'request' }, bytes.byteLength)
      const response = await this.#requestChannel(to, protocol).request(bytes, timeoutMs)
      this.#metrics?.bytesIn.inc({ kind: 'response' }, response.byteLength)
      return response
    } catch (err) {
      outcome = err instanceof P2PError ? err.code : 'error'
      throw err
    } finally {
      this.#metrics?.requests.inc({ protocol, outcome })
    }
  }

  handle (protocol: string, handler: RequestHandler): void {
    checkProtocolName(protocol)
    const isNew = !this.#requestHandlers.has(protocol)
    this.#requestHandlers.set(protocol, handler)
    if (isNew && this.#node !== undefined) {
      this.#registerRequestProtocol(this.#node, protocol).catch((err: unknown) => {
        this.#log?.error({ err, protocol }, 'registering a request protocol failed')
      })
    }
  }

  reportReject (from: number, reason: string, penalty: number): void {
    if (from === this.selfIndex || this.#directory.peerIds[from] === undefined) return
    this.#guard.reject(this.peerIdOf(from), reason, penalty)
  }

  peerStandings (): PeerStanding[] {
    return this.#guard.standings()
  }

  connectionCounts (): Map<number, number> {
    const counts = new Map<number, number>()
    for (const index of this.#others) {
      counts.set(index, this.#node?.getConnections(this.#directory.peerId(index)).filter((c) => c.status === 'open').length ?? 0)
    }
    return counts
  }

  async #start (): Promise<void> {
    const gossipMode = this.#opts.chunkTransport === 'gossipsub'
    const node = await createLibp2p<Services>({
      privateKey: this.#privateKey,
      start: false,
      addresses: { listen: this.#opts.listen, announce: this.#opts.announce ?? [] },
      transports: [tcp()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      connectionGater: {
        // we dial members only, whatever allowNonMemberConnections says
        denyDialPeer: (peerId) => this.#directory.indexOf(peerId) === undefined || this.#denyOutbound(peerId),
        denyInboundEncryptedConnection: (peerId) => this.#denyInbound(peerId),
        denyOutboundEncryptedConnection: (peerId) => this.#denyOutbound(peerId)
      },
      connectionManager: { inboundConnectionThreshold: INBOUND_CONNECTIONS_PER_HOST_PER_SECOND },
      connectionMonitor: { pingTimeout: { minTimeout: PING_MIN_TIMEOUT_MS } },
      services: {
        identify: identify(),
        ...(gossipMode
          ? {
              pubsub: chunkGossipsub({
                topic: this.#topic,
                maxMessageBytes: this.#opts.maxMessageBytes,
                isMember: (peerId) => this.#directory.indexOf(peerId) !== undefined,
                maxOutboundBufferBytes: GOSSIP_OUTBOUND_BUFFER_FACTOR * this.#opts.maxQueuedChunkBytes
              })
            }
          : {})
      }
    })
    this.#node = node
    this.#opts.isolation?.attach(node, this.#dialed().map((i) => this.#directory.peerId(i)))
    const inbound = { maxInboundStreams: MAX_INBOUND_STREAMS }
    await node.handle(this.#consensusProtocol, this.#frameStreamHandler('consensus', (from, frame) => { this.#deliverMessage(from, frame) }), inbound)
    if (!gossipMode) {
      await node.handle(this.#chunkProtocol, this.#frameStreamHandler('chunk', (from, frame) => { this.#deliverDirectChunk(from, frame) }), inbound)
    }
    for (const protocol of this.#requestHandlers.keys()) await this.#registerRequestProtocol(node, protocol)

    for (const index of this.#others) {
      this.#consensus.set(index, this.#channel(index, 'consensus'))
      if (!gossipMode) this.#chunks.set(index, this.#channel(index, 'chunk'))
    }
    this.#dialer = new MemberDialer({
      members: this.#dialed(),
      dial: async (index, signal) => { await node.dial(this.#directory.peerId(index), { signal }) },
      isConnected: (index) => this.#isConnected(index),
      dialTimeoutMs: CONNECT_TIMEOUT_MS,
      minDelayMs: this.#opts.redialMinMs,
      maxDelayMs: this.#opts.redialMaxMs,
      onOutcome: (index, ok, err) => {
        this.#metrics?.dials.inc({ outcome: ok ? 'ok' : 'failed' })
        if (!ok) this.#log?.debug({ index, err }, 'dial failed')
      }
    })
    node.addEventListener('connection:open', (evt) => { this.#onConnectionOpen(evt.detail) })
    node.addEventListener('peer:connect', (evt) => {
      const index = this.#directory.indexOf(evt.detail)
      if (index === undefined) return
      this.#dialer?.connected(index)
      this.#consensus.get(index)?.onConnected()
      this.#chunks.get(index)?.onConnected()
    })
    node.addEventListener('peer:disconnect', (evt) => {
      const index = this.#directory.indexOf(evt.detail)
      if (index === undefined) return
      this.#chunks.get(index)?.dropPending('not_connected')
      this.#dialer?.disconnected(index)
    })

    await node.start()
    if (gossipMode) {
      const gossip = node.services.pubsub!
      gossip.topicValidators.set(this.#topic, (peer, msg) => this.#validateGossipChunk(peer, msg.data))
      gossip.subscribe(this.#topic)
      this.#gossip = gossip
      this.#gossipLinkTimer = setInterval(() => { this.#resetBrokenGossipLinks() }, GOSSIP_LINK_CHECK_MS)
      this.#gossipLinkTimer.unref()
    }
    this.#dialer.start()
    for (const index of this.#peerAddrs.keys()) this.#applyAddresses(index)
    this.#log?.info({ addrs: this.listenAddrs, chunkTransport: this.#opts.chunkTransport }, 'p2p started')
  }

  async #teardown (): Promise<void> {
    this.#dialer?.stop()
    clearInterval(this.#gossipLinkTimer)
    for (const channel of [...this.#consensus.values(), ...this.#chunks.values()]) channel.close()
    this.#consensus.clear()
    this.#chunks.clear()
    const stopped = new P2PError(P2PErrorCode.NOT_RUNNING, 'the transport stopped')
    for (const channel of this.#requestChannels.values()) channel.close(stopped)
    this.#requestChannels.clear()
    this.#gossip = undefined
    const node = this.#node
    this.#node = undefined
    if (node !== undefined) {
      try {
        await node.stop()
      } catch (err) {
        this.#log?.error({ err }, 'stopping libp2p failed')
      }
    }
  }

  /** Refuses banned peers and (unless allowed) non-members, both costing the peer score, and everyone while isolated. */
  #denyInbound (peerId: PeerId): boolean {
    const id = peerId.toString()
    let reason: P2PErrorCode
    if (this.#guard.isBanned(id)) reason = P2PErrorCode.BANNED
    else if (this.#directory.indexOf(id) === undefined && !this.#opts.allowNonMemberConnections) reason = P2PErrorCode.NOT_MEMBER
    else return this.#isolated()
    this.#metrics?.refused.inc({ kind: 'connection', reason })
    this.#guard.reject(id, reason)
    this.#log?.debug({ peer: id, reason }, 'refused an inbound connection')
    return true
  }

  #denyOutbound (peerId: PeerId): boolean {
    const id = peerId.toString()
    return this.#guard.isBanned(id) || (this.#directory.indexOf(id) === undefined && !this.#opts.allowNonMemberConnections) || this.#isolated()
  }

  /** dev control: cut off from everyone (src/p2p/isolation.ts) */
  #isolated (): boolean {
    return this.#opts.isolation?.denies() === true
  }

  /** The peer's score fell to the threshold: drop its connections (the gater keeps it out). */
  #onBan (peerId: string, durationMs: number): void {
    this.#log?.warn({ peer: peerId, member: this.#directory.indexOf(peerId), durationMs }, 'peer banned: its score fell to the threshold')
    const banned = new P2PError(P2PErrorCode.BANNED, `banned for ${Math.round(durationMs)} ms`)
    for (const connection of this.#node?.getConnections() ?? []) {
      if (connection.remotePeer.toString() === peerId) connection.abort(banned)
    }
  }

  /** Charges a frame to the peer's budgets; false when it must be dropped, and a banned peer's stream is aborted. */
  #admit (stream: Stream, peer: string, kind: FrameKind, bytes: number): boolean {
    if (this.#guard.admitFrame(peer, kind, bytes)) {
      this.#metrics?.bytesIn.inc({ kind }, bytes)
      return true
    }
    if (this.#guard.isBanned(peer) && stream.status === 'open') stream.abort(new P2PError(P2PErrorCode.BANNED, 'the peer is banned'))
    return false
  }

  /** The members we dial (connection-policy.ts: the lower index dials). */
  #dialed (): number[] {
    return this.#others.filter((i) => dialsTo(this.selfIndex, i))
  }

  /** A second connection to a member replaces the first (connection-policy.ts). */
  #onConnectionOpen (connection: Connection): void {
    const index = this.#directory.indexOf(connection.remotePeer)
    if (index === undefined) return
    const stale = supersededBy(connection, this.#node?.getConnections(connection.remotePeer) ?? [])
    if (stale.length === 0) return
    this.#metrics?.connectionsReplaced.inc({ reason: 'superseded' }, stale.length)
    this.#log?.debug({ index, stale: stale.length }, 'a new connection to the member replaces the old one')
    const replaced = new P2PError(P2PErrorCode.NOT_CONNECTED, 'replaced by a newer connection')
    for (const old of stale) old.abort(replaced)
  }

  /** Closes member links gossipsub can no longer send on; the dialer reconnects them (connection-policy.ts). */
  #resetBrokenGossipLinks (): void {
    const node = this.#node
    const streams = (this.#gossip as unknown as GossipInternals | undefined)?.streamsOutbound
    if (node === undefined || streams === undefined) return
    const connectedSince = new Map<number, number>()
    for (const index of this.#others) {
      const connection = newestOpen(node.getConnections(this.#directory.peerId(index)))
      if (connection !== undefined) connectedSince.set(index, connection.timeline.open)
    }
    const withOutboundStream = new Set<number>()
    for (const [peer, outbound] of streams) {
      const index = this.#directory.indexOf(peer)
      if (index !== undefined && outbound.rawStream.status === 'open') withOutboundStream.add(index)
    }
    for (const index of gossipLinksToReset({ connectedSince, withOutboundStream }, Date.now(), GOSSIP_LINK_GRACE_MS)) {
      this.#metrics?.connectionsReplaced.inc({ reason: 'gossip_link_lost' })
      this.#log?.warn({ index }, 'gossipsub has no outbound stream to a connected member: reconnecting it')
      const lost = new P2PError(P2PErrorCode.NOT_CONNECTED, 'gossip link lost')
      for (const connection of node.getConnections(this.#directory.peerId(index))) connection.abort(lost)
    }
  }

  /**
   * A stream to a member on its newest connection. Only the dialing side may open a
   * connection for it; the other waits to be dialled, so both never dial at once.
   */
  async #openStream (index: number, protocol: string, signal: AbortSignal): Promise<Stream> {
    const node = this.#node
    if (node === undefined) throw new P2PError(P2PErrorCode.NOT_RUNNING, 'the transport is not running')
    const peerId = this.#directory.peerId(index)
    const connection = newestOpen(node.getConnections(peerId))
    if (connection !== undefined) return connection.newStream(protocol, { signal })
    if (!dialsTo(this.selfIndex, index)) throw new P2PError(P2PErrorCode.NOT_CONNECTED, `waiting for member ${index} to connect`)
    return node.dialProtocol(peerId, protocol, { signal })
  }

  #isConnected (index: number): boolean {
    return this.#node?.getConnections(this.#directory.peerId(index)).some((c) => c.status === 'open') ?? false
  }

  #applyAddresses (index: number): void {
    const node = this.#node!
    node.peerStore.patch(this.#directory.peerId(index), { multiaddrs: this.#peerAddrs.get(index) ?? [] })
      .then(() => { this.#dialer?.addressesChanged(index) })
      .catch((err: unknown) => { this.#log?.error({ err, index }, 'storing member addresses failed') })
  }

  #checkMember (index: number): void {
    if (!Number.isInteger(index) || index < 0 || index >= this.#directory.size || index === this.selfIndex) {
      throw new P2PError(P2PErrorCode.BAD_ARGUMENT, `${index} is not another committee member`)
    }
  }

  #checkSize (bytes: Uint8Array): void {
    if (bytes.byteLength > this.#opts.maxMessageBytes) {
      throw new P2PError(P2PErrorCode.TOO_LARGE, `${bytes.byteLength} bytes is above maxMessageBytes ${this.#opts.maxMessageBytes}`)
    }
  }

  #channel (index: number, kind: 'consensus' | 'chunk'): OutboundChannel {
    const protocol = kind === 'consensus' ? this.#consensusProtocol : this.#chunkProtocol
    return new OutboundChannel({
      openStream: async (signal) => this.#openStream(index, protocol, signal),
      isConnected: () => this.#isConnected(index),
      maxFrames: kind === 'consensus' ? this.#opts.maxQueuedMessages : Number.POSITIVE_INFINITY,
      maxBytes: kind === 'chunk' ? this.#opts.maxQueuedChunkBytes : Number.POSITIVE_INFINITY,
      stallMs: this.#opts.chunkStallMs,
      openTimeoutMs: CONNECT_TIMEOUT_MS,
      retryMinMs: this.#opts.redialMinMs,
      retryMaxMs: this.#opts.redialMaxMs,
      onSent: (frames, bytes) => {
        this.#metrics?.messagesOut.inc({ kind }, frames)
        this.#metrics?.bytesOut.inc({ kind }, bytes)
      },
      onDrop: (reason: DropReason, frames) => { this.#metrics?.dropped.inc({ kind, reason }, frames) },
      onOpenError: (err) => { this.#log?.debug({ err, index, protocol }, 'opening a stream failed') }
    })
  }

  /** A handler for an inbound stream of length-prefixed frames from one member. */
  #frameStreamHandler (kind: 'consensus' | 'chunk', deliver: (from: number, frame: Uint8Array) => void): StreamHandler {
    const maxFrameBytes = this.#opts.maxMessageBytes + (kind === 'chunk' ? CHUNK_ID_BYTES : 0)
    return (stream, connection) => {
      const from = this.#memberOf(stream, connection, kind)
      if (from === undefined) return
      const peer = connection.remotePeer.toString()
      const decoder = new FrameDecoder(maxFrameBytes)
      closeWhenRemoteCloses(stream)
      stream.addEventListener('message', (evt) => {
        try {
          for (const frame of decoder.push(evt.data)) {
            if (this.#admit(stream, peer, kind, frame.byteLength)) deliver(from, frame)
            else if (stream.status !== 'open') return
          }
        } catch (err) {
          this.#refuse(stream, peer, kind, err instanceof P2PError ? err : new P2PError(P2PErrorCode.MALFORMED, String(err)))
        }
      })
    }
  }

  /** The member index of a stream's remote peer; a non-member's stream is refused. */
  #memberOf (stream: Stream, connection: Connection, kind: string): number | undefined {
    const from = this.#directory.indexOf(connection.remotePeer)
    if (from === undefined || from === this.selfIndex) {
      this.#refuse(stream, connection.remotePeer.toString(), kind, new P2PError(P2PErrorCode.NOT_MEMBER, `${connection.remotePeer.toString()} is not a committee member`))
      return undefined
    }
    return from
  }

  #refuse (stream: Stream, peer: string, kind: string, err: P2PError): void {
    this.#metrics?.refused.inc({ kind, reason: err.code })
    this.#guard.reject(peer, err.code)
    this.#log?.warn({ kind, reason: err.code, err: err.message }, 'refused inbound stream')
    stream.abort(err)
  }

  #deliverMessage (from: number, bytes: Uint8Array): void {
    this.#metrics?.messagesIn.inc({ kind: 'consensus' })
    const handler = this.#messageHandler
    if (handler === undefined) {
      this.#metrics?.dropped.inc({ kind: 'consensus', reason: 'no_handler' })
      return
    }
    try {
      handler(from, bytes)
    } catch (err) {
      this.#log?.error({ err, from }, 'the consensus message handler threw')
    }
  }

  #deliverDirectChunk (from: number, frame: Uint8Array): void {
    // The frame limit already bounds the size; the envelope shape is checked in judgeChunk.
    if (frame.byteLength < CHUNK_ID_BYTES) throw new P2PError(P2PErrorCode.MALFORMED, 'a chunk frame without its id')
    this.#metrics?.messagesIn.inc({ kind: 'chunk' })
    this.#countVerdict(this.#chunkProtocol, this.peerIdOf(from), judgeChunk(this.#chunkValidator, from, frame, this.#opts.maxMessageBytes))
  }

  #validateGossipChunk (peer: PeerId, data: Uint8Array): TopicValidatorResult {
    const id = peer.toString()
    // Over budget: dropped unseen (IGNORE, so gossipsub does not count it as invalid twice).
    if (!this.#guard.admitFrame(id, 'chunk', data.byteLength)) return TopicValidatorResult.Ignore
    const from = this.#directory.indexOf(id)
    let judgement: ChunkJudgement
    if (from === undefined) {
      // [REJECT] only committee members relay chunks
      judgement = { verdict: 'reject', reason: P2PErrorCode.NOT_MEMBER }
    } else {
      this.#metrics?.messagesIn.inc({ kind: 'chunk' })
      this.#metrics?.bytesIn.inc({ kind: 'chunk' }, data.byteLength)
      judgement = judgeChunk(this.#chunkValidator, from, data, this.#opts.maxMessageBytes)
    }
    this.#countVerdict(this.#topic, id, judgement)
    switch (judgement.verdict) {
      case 'accept': return TopicValidatorResult.Accept
      case 'reject': return TopicValidatorResult.Reject
      default: return TopicValidatorResult.Ignore
    }
  }

  #countVerdict (topic: string, peer: string, { verdict, reason, error }: ChunkJudgement): void {
    this.#metrics?.chunkVerdicts.inc({ topic, verdict, reason })
    if (verdict === 'reject') this.#guard.reject(peer, reason === 'validator' ? P2PErrorCode.CHUNK_INVALID : reason)
    if (error !== undefined) this.#log?.error({ err: error }, 'the chunk validator threw; chunk ignored')
  }

  /**
   * Waits while any member's gossip stream holds `maxQueuedChunkBytes` or more of unsent
   * data. Unlike direct mode there is no stall limit: gossipsub cannot skip one member, and
   * publishing on regardless lets forwarded traffic pile up until gossipsub's buffer cap
   * resets the stream, after which it sends that member nothing until a reconnect (measured:
   * half the chunks lost at saturation). A member that stops reading is dropped by libp2p's
   * connection monitor, which ends the wait.
   */
  async #waitForGossipRoom (): Promise<void> {
    const streams = (this.#gossip as unknown as GossipInternals | undefined)?.streamsOutbound
    if (streams === undefined) return
    for (const outbound of streams.values()) {
      const stream = outbound.rawStream
      while (this.#status === 'started' && stream.status === 'open' && stream.writeBufferLength >= this.#opts.maxQueuedChunkBytes) {
        await waitForDrainOrTimeout(stream, GOSSIP_ROOM_RECHECK_MS)
      }
    }
  }

  #requestChannel (to: number, protocol: string): RequestChannel {
    const key = `${to}/${protocol}`
    let channel = this.#requestChannels.get(key)
    if (channel === undefined) {
      const peerId = this.#directory.peerId(to)
      const protocolId = this.#requestProtocolId(protocol)
      channel = new RequestChannel({
        protocol: protocolId,
        openStream: async (signal) => this.#openStream(to, protocolId, signal),
        openTimeoutMs: CONNECT_TIMEOUT_MS,
        maxMessageBytes: this.#opts.maxMessageBytes,
        onRefused: (reason) => {
          this.#metrics?.refused.inc({ kind: 'response', reason })
          this.#guard.reject(peerId.toString(), reason)
        }
      })
      this.#requestChannels.set(key, channel)
    }
    return channel
  }

  #requestProtocolId (protocol: string): string {
    return `/seq/${this.#opts.chainId}/req/${protocol}/1`
  }

  async #registerRequestProtocol (node: Libp2p<Services>, protocol: string): Promise<void> {
    await node.handle(this.#requestProtocolId(protocol), (stream, connection) => {
      const from = this.#memberOf(stream, connection, 'request')
      if (from === undefined) return
      const peer = connection.remotePeer.toString()
      serveRequests(stream, {
        from,
        admit: (bytes) => this.#admit(stream, peer, 'request', bytes),
        handler: () => this.#requestHandlers.get(protocol),
        maxMessageBytes: this.#opts.maxMessageBytes,
        maxConcurrent: this.#opts.maxConcurrentRequests,
        onRefused: (reason) => {
          this.#metrics?.refused.inc({ kind: 'request', reason })
          this.#guard.reject(peer, reason)
        },
        onServed: (bytes) => {
          this.#metrics?.messagesOut.inc({ kind: 'response' })
          this.#metrics?.bytesOut.inc({ kind: 'response' }, bytes)
        },
        onHandlerError: (err) => { this.#log?.warn({ err, protocol, from }, 'a request handler failed') }
      })
    }, { maxInboundStreams: MAX_INBOUND_STREAMS })
  }
}

function checkProtocolName (protocol: string): void {
  if (!PROTOCOL_NAME.test(protocol)) throw new P2PError(P2PErrorCode.BAD_ARGUMENT, `bad request protocol name ${JSON.stringify(protocol)}`)
}
