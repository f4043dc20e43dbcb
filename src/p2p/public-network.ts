/**
 * The public side of the network, apart from the committee's own links: a libp2p host
 * (same TCP/noise/yamux/identify stack) that members and followers join, with two
 * gossipsub topics and one request protocol:
 *
 * - `/seq/<chain>/txs/2`: signed txs submitted anywhere travel toward the committee, in
 *   bundles (`RelayBundle`, a few per message: follower/tx-bundler.ts). Every
 *   node validates before it forwards (accept / ignore / reject; rejects are gossipsub's P4
 *   penalty and a strike in the peer guard, whose ban closes the peer's connections).
 * - `/seq/<chain>/final/1`: members publish each final batch with its commit proof;
 *   followers verify before they store or forward.
 * - `/seq/<chain>/req/final-sync/1`: a range of final batches, for a follower that was away.
 * - `/seq/<chain>/final-push/1`: a follower's stream from a member, on which the member
 *   writes each final batch at commit (final-push.ts); it takes the same checks as the topic.
 * - `/seq/<chain>/txs-direct/1`: a follower's stream to a member carrying the bundles of
 *   txs that member admits (direct-txs.ts); the same limits and verdicts as the tx topic.
 *
 * The committee's own host (transport.ts) refuses non-members; this one takes anyone and
 * trusts no one, so followers can come and go without touching the links rounds run on.
 */
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { gossipsub, StrictNoSign, TopicValidatorResult, type GossipSub } from '@libp2p/gossipsub'
import { identify, type Identify } from '@libp2p/identify'
import type { Connection, PeerId } from '@libp2p/interface'
import { tcp } from '@libp2p/tcp'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p, type Libp2p } from 'libp2p'
import type { Logger } from 'pino'
import { sha256 } from '../crypto/index.js'
import { P2PError, P2PErrorCode } from './errors.js'
import { invalidOnlyTopicScore } from './gossip.js'
import { privateKeyFromSeed } from './identity.js'
import { defaultPeerGuardOptions, PeerGuard, type PeerGuardOptions } from './peer-guard.js'
import { DirectTxLinks, receiveDirectTxs } from './direct-txs.js'
import { FinalPushServer, subscribeFinalPush } from './final-push.js'
import { RequestChannel, serveRequests } from './request-response.js'
import { TokenBucket } from '../util/token-bucket.js'
import type { ChunkVerdict } from './types.js'

export type PublicVerdict = ChunkVerdict
/** `via`: the topic, a member's push stream (final batches) or a follower's direct stream (txs) */
export type PublicVia = 'topic' | 'push' | 'direct'
export type PublicValidator = (peer: string, bytes: Uint8Array, via: PublicVia) => PublicVerdict | Promise<PublicVerdict>
export type PublicRequestHandler = (bytes: Uint8Array) => Promise<Uint8Array>

export interface PublicNetworkOptions {
  chainId: string
  /** ed25519 seed of this node's libp2p identity */
  seed: Uint8Array
  listen: string[]
  announce?: string[]
  /** multiaddrs (with /p2p/<id>) dialled at start and redialled while not connected */
  bootstrap: string[]
  maxMessageBytes: number
  /** per-peer limits; everyone here is an outsider to the peer guard */
  peerGuard?: Partial<PeerGuardOptions>
  /** tx-topic bytes per second one peer may hand us (twice that as a burst); beyond, dropped unpenalised */
  txBytesPerSecond?: number
  /** a member: serve the final push (`pushFinal` writes to every subscriber) and take direct txs */
  serveFollowers?: boolean
  /** a follower: the members' PeerIds, whose final push it subscribes to and to whom it opens direct tx streams */
  members?: ReadonlySet<string>
  /**
   * join the final topic's mesh (default true); a node that only publishes final batches need
   * not. A follower (`members` given) leaves it while push streams from f + 1 members are open
   * (one of them is honest and pushes every batch) and joins it again when they are not.
   */
  subscribeFinal?: boolean
  logger?: Logger | null
}

export interface PublicNetworkCounters {
  published: Record<'tx' | 'final', number>
  /** `push`: final batches that came on a member's push stream; `direct`: tx bundles on a follower's direct stream */
  verdicts: Record<'tx' | 'final' | 'push' | 'direct', Record<PublicVerdict, number>>
  rateLimited: number
  /** tx bundles dropped because their peer was over its tx byte budget */
  txBudgetDropped: number
  bans: number
}

/** Txs are small and many; a peer beyond this many per second is dropped before validation. */
const TX_FRAMES_PER_SECOND = 5000
/**
 * Tx bytes one peer may relay to us per second: about 10,000 typical txs, several times what
 * a committee here finalises, so one follower (or one flooder) cannot take more of the
 * members' checking than that; honest heavy relays lose only the excess, with no penalty.
 */
export const DEFAULT_TX_BYTES_PER_SECOND = 4 * 1024 * 1024
/** peers whose tx budget is remembered at most; the oldest is forgotten first */
const MAX_TX_BUDGETS = 4096
/**
 * Peer-guard penalty of an invalid tx bundle or final batch: three ban (score -100). An honest
 * node checks what it forwards, so it never sends one; and gossipsub graylists a peer after
 * three invalid messages too (P4 weight -10, squared, past -80), after which its messages
 * are dropped unvalidated and would never add up to a ban and a closed connection.
 */
const INVALID_GOSSIP_PENALTY = 34
const BOOTSTRAP_RETRY_MS = 1000
const SYNC_PROTOCOL = 'final-sync'
const PUSH_PROTOCOL = 'final-push'
const DIRECT_TXS_PROTOCOL = 'txs-direct'
const RPC_OVERHEAD_BYTES = 64 * 1024

export class PublicNetwork {
  readonly #opts: PublicNetworkOptions
  readonly #log: Logger | null
  readonly #guard: PeerGuard
  readonly #txTopic: string
  readonly #finalTopic: string
  readonly #syncProtocol: string
  readonly #pushProtocol: string
  readonly #directTxsProtocol: string
  readonly #directTxs = new DirectTxLinks()
  readonly #channels = new Map<string, RequestChannel>()
  /** peers whose push stream is open or opening */
  readonly #pushSubscriptions = new Set<string>()
  /** members whose push stream is open */
  readonly #pushOpen = new Set<string>()
  readonly #pushServer: FinalPushServer | null
  #node: Libp2p<{ identify: Identify, pubsub: GossipSub }> | undefined
  #txValidator: PublicValidator | undefined
  #finalValidator: PublicValidator | undefined
  #syncHandler: PublicRequestHandler | undefined
  #bootstrapTimer: ReturnType<typeof setInterval> | undefined
  readonly counters: PublicNetworkCounters = {
    published: { tx: 0, final: 0 },
    verdicts: { tx: { accept: 0, ignore: 0, reject: 0 }, final: { accept: 0, ignore: 0, reject: 0 }, push: { accept: 0, ignore: 0, reject: 0 }, direct: { accept: 0, ignore: 0, reject: 0 } },
    rateLimited: 0,
    txBudgetDropped: 0,
    bans: 0
  }
  readonly #txBudgets = new Map<string, TokenBucket>()

  constructor (opts: PublicNetworkOptions) {
    this.#opts = opts
    this.#log = opts.logger?.child({ module: 'public-p2p' }) ?? null
    this.#txTopic = `/seq/${opts.chainId}/txs/2`
    this.#finalTopic = `/seq/${opts.chainId}/final/1`
    this.#syncProtocol = `/seq/${opts.chainId}/req/${SYNC_PROTOCOL}/1`
    this.#pushProtocol = `/seq/${opts.chainId}/${PUSH_PROTOCOL}/1`
    this.#directTxsProtocol = `/seq/${opts.chainId}/${DIRECT_TXS_PROTOCOL}/1`
    this.#pushServer = opts.serveFollowers === true ? new FinalPushServer() : null
    this.#guard = new PeerGuard({
      memberIndex: () => undefined,
      onBan: (peerId, durationMs) => { this.#onBan(peerId, durationMs) },
      metrics: null
    }, {
      ...defaultPeerGuardOptions,
      framesPerSecond: { ...defaultPeerGuardOptions.framesPerSecond, chunk: TX_FRAMES_PER_SECOND },
      frameBurst: { ...defaultPeerGuardOptions.frameBurst, chunk: 2 * TX_FRAMES_PER_SECOND },
      ...opts.peerGuard
    })
  }

  get peerId (): string {
    return this.#node?.peerId.toString() ?? ''
  }

  get listenAddrs (): string[] {
    return this.#node?.getMultiaddrs().map((ma) => ma.toString()) ?? []
  }

  connectedPeers (): string[] {
    return [...new Set(this.#node?.getConnections().filter((c) => c.status === 'open').map((c) => c.remotePeer.toString()) ?? [])]
  }

  onTx (validator: PublicValidator): void { this.#txValidator = validator }
  onFinalBatch (validator: PublicValidator): void { this.#finalValidator = validator }
  handleSync (handler: PublicRequestHandler): void { this.#syncHandler = handler }

  async start (): Promise<void> {
    const privateKey = await privateKeyFromSeed(this.#opts.seed)
    const maxData = this.#opts.maxMessageBytes + RPC_OVERHEAD_BYTES
    const node = await createLibp2p({
      privateKey,
      addresses: { listen: this.#opts.listen, announce: this.#opts.announce ?? [] },
      transports: [tcp()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      connectionGater: {
        denyInboundEncryptedConnection: (peerId: PeerId) => this.#guard.isBanned(peerId.toString()),
        denyDialPeer: (peerId: PeerId) => this.#guard.isBanned(peerId.toString())
      },
      connectionManager: { inboundConnectionThreshold: 100 },
      services: {
        identify: identify(),
        pubsub: gossipsub({
          globalSignaturePolicy: StrictNoSign,
          allowedTopics: [this.#txTopic, this.#finalTopic],
          allowPublishToZeroTopicPeers: true,
          ignoreDuplicatePublishError: true,
          emitSelf: false,
          msgIdFn: (msg) => sha256(msg.data),
          maxInboundDataLength: maxData,
          scoreParams: {
            IPColocationFactorWeight: 0, // a devnet runs every node on one host
            behaviourPenaltyWeight: 0,
            topics: Object.fromEntries([this.#txTopic, this.#finalTopic].map((topic) => [topic, invalidOnlyTopicScore()]))
          }
        })
      }
    })
    this.#node = node
    const gossip = node.services.pubsub
    gossip.topicValidators.set(this.#txTopic, async (peer, msg) => this.#validate('tx', peer, msg.data))
    gossip.topicValidators.set(this.#finalTopic, async (peer, msg) => this.#validate('final', peer, msg.data))
    gossip.subscribe(this.#txTopic)
    if (this.#opts.subscribeFinal !== false) gossip.subscribe(this.#finalTopic)
    await node.handle(this.#syncProtocol, (stream, connection) => {
      const peer = connection.remotePeer.toString()
      serveRequests(stream, {
        from: -1,
        admit: (bytes) => this.#guard.admitFrame(peer, 'request', bytes),
        handler: () => this.#syncHandler === undefined ? undefined : async (_from, bytes) => this.#syncHandler!(bytes),
        maxMessageBytes: this.#opts.maxMessageBytes,
        maxConcurrent: 4,
        onRefused: (reason) => { this.#guard.reject(peer, reason) },
        onServed: () => {},
        onHandlerError: (err) => { this.#log?.debug({ err, peer }, 'a sync request failed') }
      })
    }, { maxInboundStreams: 4 })
    const pushServer = this.#pushServer
    if (pushServer !== null) {
      await node.handle(this.#pushProtocol, (stream) => { pushServer.accept(stream) }, { maxInboundStreams: 2 })
      await node.handle(this.#directTxsProtocol, (stream, connection) => {
        const peer = connection.remotePeer.toString()
        receiveDirectTxs(stream, this.#opts.maxMessageBytes, (frame) => { void this.#validate('tx', connection.remotePeer, frame, 'direct') }, (err) => { this.#guard.reject(peer, err.code) })
      }, { maxInboundStreams: 2 })
    }
    if (this.#opts.members !== undefined && this.#opts.members.size > 0) {
      node.addEventListener('connection:open', (evt) => { this.#openMemberStreams(evt.detail) })
    }
    this.#dialBootstrap()
    this.#bootstrapTimer = setInterval(() => { this.#dialBootstrap() }, BOOTSTRAP_RETRY_MS)
    this.#bootstrapTimer.unref()
    this.#log?.info({ addrs: this.listenAddrs, peerId: this.peerId }, 'public network started')
  }

  async stop (): Promise<void> {
    clearInterval(this.#bootstrapTimer)
    this.#pushServer?.close()
    this.#directTxs.close()
    const stopped = new P2PError(P2PErrorCode.NOT_RUNNING, 'the public network stopped')
    for (const channel of this.#channels.values()) channel.close(stopped)
    this.#channels.clear()
    const node = this.#node
    this.#node = undefined
    await node?.stop()
  }

  /** One encoded RelayBundle on the tx topic; throws NOT_CONNECTED when no peer took it (no mesh yet). */
  async publishTxs (bytes: Uint8Array): Promise<void> {
    if (await this.#publish('tx', bytes) === 0) throw new P2PError(P2PErrorCode.NOT_CONNECTED, 'no peer on the tx topic yet')
  }

  async publishFinal (bytes: Uint8Array): Promise<void> {
    await this.#publish('final', bytes)
  }

  /** One encoded SyncItem to every follower subscribed to this member's push (none unless `servePush`). */
  pushFinal (bytes: Uint8Array): void {
    this.#pushServer?.push(bytes)
  }

  get pushCounters (): FinalPushServer['counters'] | null {
    return this.#pushServer?.counters ?? null
  }

  get pushSubscribers (): number {
    return this.#pushServer?.subscribers ?? 0
  }

  /** the peers whose push stream this node holds (or is opening) */
  pushSources (): string[] {
    return [...this.#pushSubscriptions]
  }

  /** One encoded RelayBundle straight to member `peer`; false (not sent) when no drained stream to it is open. */
  sendTxsDirect (peer: string, bundle: Uint8Array): boolean {
    if (bundle.byteLength > this.#opts.maxMessageBytes) throw new P2PError(P2PErrorCode.TOO_LARGE, `${bundle.byteLength} bytes is above ${this.#opts.maxMessageBytes}`)
    return this.#directTxs.send(peer, bundle)
  }

  hasDirectTxs (peer: string): boolean {
    return this.#directTxs.has(peer)
  }

  /** Asks one connected peer (chosen by the caller, or the first) for final batches. */
  async requestSync (peer: string, bytes: Uint8Array, timeoutMs: number): Promise<Uint8Array> {
    const node = this.#node
    if (node === undefined) throw new P2PError(P2PErrorCode.NOT_RUNNING, 'the public network is not running')
    let channel = this.#channels.get(peer)
    if (channel === undefined) {
      const connection = node.getConnections().find((c) => c.remotePeer.toString() === peer && c.status === 'open')
      if (connection === undefined) throw new P2PError(P2PErrorCode.NOT_CONNECTED, `not connected to ${peer}`)
      channel = new RequestChannel({
        protocol: this.#syncProtocol,
        openStream: async (signal) => connection.newStream(this.#syncProtocol, { signal }),
        openTimeoutMs: timeoutMs,
        maxMessageBytes: this.#opts.maxMessageBytes,
        onRefused: (reason) => { this.#guard.reject(peer, reason) }
      })
      this.#channels.set(peer, channel)
      connection.addEventListener('close', () => {
        this.#channels.get(peer)?.close(new P2PError(P2PErrorCode.NOT_CONNECTED, 'connection closed'))
        this.#channels.delete(peer)
      }, { once: true })
    }
    return channel.request(bytes, timeoutMs)
  }

  /** A peer sent something invalid outside gossip (e.g. a bad sync answer): a strike. */
  reportReject (peer: string, reason: string): void {
    this.#guard.reject(peer, reason)
  }

  /** Returns how many peers it was sent to. */
  async #publish (kind: 'tx' | 'final', bytes: Uint8Array): Promise<number> {
    const gossip = this.#node?.services.pubsub
    if (gossip === undefined) throw new P2PError(P2PErrorCode.NOT_RUNNING, 'the public network is not running')
    if (bytes.byteLength > this.#opts.maxMessageBytes) throw new P2PError(P2PErrorCode.TOO_LARGE, `${bytes.byteLength} bytes is above ${this.#opts.maxMessageBytes}`)
    const { recipients } = await gossip.publish(kind === 'tx' ? this.#txTopic : this.#finalTopic, bytes)
    this.counters.published[kind]++
    return recipients.length
  }

  /** The checks of every tx or final batch from a peer, whichever way it came (`via`). */
  async #validate (kind: 'tx' | 'final', peer: PeerId | string, data: Uint8Array, via: PublicVia = 'topic'): Promise<TopicValidatorResult> {
    const id = peer.toString()
    // Over its budget: dropped unseen (IGNORE, so it is not counted as invalid twice).
    if (!this.#guard.admitFrame(id, kind === 'tx' ? 'chunk' : 'request', data.byteLength)) {
      this.counters.rateLimited++
      return TopicValidatorResult.Ignore
    }
    // Within the frame budget but over its tx bytes: dropped, not scored (an honest busy relay)
    if (kind === 'tx' && !this.#takeTxBudget(id, data.byteLength)) {
      this.counters.txBudgetDropped++
      return TopicValidatorResult.Ignore
    }
    const validator = kind === 'tx' ? this.#txValidator : this.#finalValidator
    let verdict: PublicVerdict = 'ignore'
    try {
      if (validator !== undefined) verdict = await validator(id, data, via)
    } catch (err) {
      // our own failure never costs the peer
      this.#log?.error({ err, kind }, 'a public validator threw; message ignored')
    }
    this.counters.verdicts[via === 'topic' ? kind : via][verdict]++
    if (verdict === 'reject') this.#guard.reject(id, kind === 'tx' ? 'TX_INVALID' : 'FINAL_INVALID', INVALID_GOSSIP_PENALTY)
    return verdict === 'accept' ? TopicValidatorResult.Accept : verdict === 'reject' ? TopicValidatorResult.Reject : TopicValidatorResult.Ignore
  }

  /** On a new connection to a member: the push stream from it and the direct tx stream to it. */
  #openMemberStreams (connection: Connection): void {
    const peer = connection.remotePeer.toString()
    if (this.#opts.members?.has(peer) !== true) return
    this.#directTxs.open(peer, connection, this.#directTxsProtocol, (err) => { this.#log?.debug({ err, peer }, 'no direct tx stream to this member') })
    this.#subscribePush(connection)
  }

  /** Opens the push stream on a connection to a member, unless one is open already. */
  #subscribePush (connection: Connection): void {
    const peer = connection.remotePeer.toString()
    if (this.#pushSubscriptions.has(peer) || this.#node === undefined) return
    this.#pushSubscriptions.add(peer)
    const ended = (): void => {
      if (!this.#pushSubscriptions.delete(peer)) return
      // another connection to the same peer (both dialled at once) carries it on
      const other = this.#node?.getConnections().find((c) => c.remotePeer.toString() === peer && c.status === 'open' && c !== connection)
      if (other !== undefined) this.#subscribePush(other)
    }
    subscribeFinalPush({
      connection,
      protocol: this.#pushProtocol,
      maxFrameBytes: this.#opts.maxMessageBytes,
      deliver: (frame) => { void this.#validate('final', peer, frame, 'push') },
      onRefused: (err) => { this.#guard.reject(peer, err.code) }
    }).then((stream) => {
      const closed = (): void => {
        this.#pushOpen.delete(peer)
        this.#followFinalTopic()
        ended()
      }
      if (stream.status !== 'open') { closed(); return }
      this.#pushOpen.add(peer)
      this.#followFinalTopic()
      stream.addEventListener('close', closed, { once: true })
    }, (err: unknown) => {
      this.#log?.debug({ err, peer }, 'no final push from this peer')
      this.#pushSubscriptions.delete(peer)
    })
  }

  /** A follower is on the final topic unless enough members push to it (see `subscribeFinal`). */
  #followFinalTopic (): void {
    const gossip = this.#node?.services.pubsub
    const members = this.#opts.members
    if (gossip === undefined || members === undefined || this.#opts.subscribeFinal === false) return
    const fed = this.#pushOpen.size >= Math.floor((members.size - 1) / 3) + 1
    const on = gossip.getTopics().includes(this.#finalTopic)
    if (fed && on) gossip.unsubscribe(this.#finalTopic)
    else if (!fed && !on) gossip.subscribe(this.#finalTopic)
  }

  /** whether this node is on the final topic's mesh now */
  get subscribedToFinal (): boolean {
    return this.#node?.services.pubsub.getTopics().includes(this.#finalTopic) ?? false
  }

  #takeTxBudget (peer: string, bytes: number): boolean {
    let bucket = this.#txBudgets.get(peer)
    if (bucket === undefined) {
      const rate = this.#opts.txBytesPerSecond ?? DEFAULT_TX_BYTES_PER_SECOND
      bucket = new TokenBucket(rate, 2 * rate, performance.now())
      this.#txBudgets.set(peer, bucket)
      if (this.#txBudgets.size > MAX_TX_BUDGETS) this.#txBudgets.delete(this.#txBudgets.keys().next().value!)
    }
    return bucket.take(bytes, performance.now())
  }

  #dialBootstrap (): void {
    const node = this.#node
    if (node === undefined) return
    for (const addr of this.#opts.bootstrap) {
      let ma
      try {
        ma = multiaddr(addr)
      } catch (err) {
        this.#log?.warn({ addr, err }, 'a bootstrap address does not parse')
        continue
      }
      const peer = ma.getComponents().find((c) => c.name === 'p2p')?.value
      if (peer !== undefined && node.getConnections().some((c) => c.remotePeer.toString() === peer && c.status === 'open')) continue
      node.dial(ma).catch((err: unknown) => { this.#log?.debug({ addr, err }, 'bootstrap dial failed') })
    }
  }

  #onBan (peerId: string, durationMs: number): void {
    this.counters.bans++
    this.#log?.warn({ peer: peerId, durationMs }, 'public peer banned: its score fell to the threshold')
    const banned = new P2PError(P2PErrorCode.BANNED, `banned for ${Math.round(durationMs)} ms`)
    for (const connection of this.#node?.getConnections() ?? []) {
      if (connection.remotePeer.toString() === peerId) connection.abort(banned)
    }
  }
}
