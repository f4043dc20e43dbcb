/**
 * The committee's libp2p 3 host: TCP, noise, yamux, identify, and gossipsub 17 when chunks
 * go by gossip. It moves opaque bytes between committee members only. This file builds the
 * node and its services and runs their lifecycle; each job is a service of its own, shaped
 * like js-libp2p's (components in, `start()`/`stop()` out):
 *
 * - gater.ts: who may connect, open a stream or send a frame (identity = genesis key).
 * - member-links.ts: addresses, one connection per pair, streams on it.
 * - consensus-messages.ts: consensus messages, one queued stream per member.
 * - direct-chunks.ts / gossip-chunks.ts: chunk dissemination, by `chunkTransport`.
 * - request-service.ts: request/response (wire protocol in request-response.ts).
 *
 * Options and their defaults: committee-options.ts. The public surface: types.ts.
 */
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import type { GossipSub } from '@libp2p/gossipsub'
import { identify, type Identify } from '@libp2p/identify'
import type { PrivateKey } from '@libp2p/interface'
import { tcp } from '@libp2p/tcp'
import type { Multiaddr } from '@multiformats/multiaddr'
import { createLibp2p, type Libp2p } from 'libp2p'
import type { Logger } from 'pino'
import { equalBytes } from '../crypto/index.js'
import { CHUNK_ID_BYTES } from './chunks.js'
import {
  committeeProtocols, GOSSIP_OUTBOUND_BUFFER_FACTOR, INBOUND_CONNECTIONS_PER_HOST_PER_SECOND, PING_MIN_TIMEOUT_MS,
  resolveCommitteeOptions, withoutUndefined, type ResolvedCommitteeOptions
} from './committee-options.js'
import { ConsensusMessages } from './consensus-messages.js'
import { DirectChunks } from './direct-chunks.js'
import { P2PError, P2PErrorCode } from './errors.js'
import { CommitteeGater } from './gater.js'
import { chunkGossipsub } from './gossip.js'
import { GossipChunks } from './gossip-chunks.js'
import { CommitteeDirectory, privateKeyFromSeed } from './identity.js'
import { MemberLinks, parseMemberAddrs } from './member-links.js'
import { defaultPeerGuardOptions, type PeerStanding } from './peer-guard.js'
import { checkProtocolName, RequestService } from './request-service.js'
import type {
  ChunkValidator, CommitteeTransport, CommitteeTransportOptions, MessageHandler, P2PMetrics, PeerAddress, RequestHandler
} from './types.js'

interface Services extends Record<string, unknown> {
  identify: Identify
  pubsub?: GossipSub
}

/** The services of a started node, in start order; stopped in reverse. */
interface Running {
  node: Libp2p<Services>
  links: MemberLinks
  consensus: ConsensusMessages
  chunks: DirectChunks | GossipChunks
  requests: RequestService
}

type Status = 'new' | 'starting' | 'started' | 'stopping' | 'stopped'

export async function createCommitteeTransport (options: CommitteeTransportOptions): Promise<CommitteeTransport> {
  const opts = resolveCommitteeOptions(options)
  const directory = new CommitteeDirectory(options.committeeKeys)
  const privateKey = await privateKeyFromSeed(options.seed)
  if (!equalBytes(privateKey.publicKey.raw, options.committeeKeys[opts.selfIndex]!)) {
    throw new P2PError(P2PErrorCode.BAD_CONFIG, `the seed does not belong to committee member ${opts.selfIndex}`)
  }
  const network = new CommitteeNetwork(opts, privateKey, directory, options.metrics ?? null, options.logger ?? null, options.peerGuard ?? {})
  if (options.peers !== undefined) network.setPeers(options.peers)
  return network
}

class CommitteeNetwork implements CommitteeTransport {
  readonly selfIndex: number
  readonly #opts: ResolvedCommitteeOptions
  readonly #privateKey: PrivateKey
  readonly #directory: CommitteeDirectory
  readonly #metrics: P2PMetrics | null
  readonly #log: Logger | null
  readonly #others: number[]
  readonly #protocols: ReturnType<typeof committeeProtocols>
  readonly #gater: CommitteeGater
  #status: Status = 'new'
  #starting: Promise<void> | undefined
  #stopping: Promise<void> | undefined
  #running: Running | undefined
  readonly #peerAddrs = new Map<number, Multiaddr[]>()
  readonly #requestHandlers = new Map<string, RequestHandler>()
  #messageHandler: MessageHandler | undefined
  #chunkValidator: ChunkValidator | undefined

  constructor (
    opts: ResolvedCommitteeOptions, privateKey: PrivateKey, directory: CommitteeDirectory, metrics: P2PMetrics | null, logger: Logger | null,
    guardOptions: CommitteeTransportOptions['peerGuard'] & object
  ) {
    this.#opts = opts
    this.selfIndex = opts.selfIndex
    this.#privateKey = privateKey
    this.#directory = directory
    this.#metrics = metrics
    this.#log = logger?.child({ module: 'p2p', member: opts.selfIndex }) ?? null
    this.#others = directory.peerIds.map((_, i) => i).filter((i) => i !== opts.selfIndex)
    this.#protocols = committeeProtocols(opts.chainId)
    this.#gater = new CommitteeGater({
      directory,
      selfIndex: opts.selfIndex,
      metrics,
      log: this.#log,
      allowNonMemberConnections: opts.allowNonMemberConnections,
      isolation: opts.isolation,
      connections: () => this.#running?.node.getConnections() ?? []
    }, { ...defaultPeerGuardOptions, ...withoutUndefined(guardOptions) })
  }

  get listenAddrs (): string[] {
    return this.#running?.node.getMultiaddrs().map((ma) => ma.toString()) ?? []
  }

  peerIdOf (index: number): string {
    return this.#directory.peerId(index).toString()
  }

  connectedMembers (): number[] {
    return this.#running?.links.connectedMembers() ?? []
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
      const parsed = parseMemberAddrs(index, addrs, this.peerIdOf(index))
      this.#peerAddrs.set(index, parsed)
      this.#running?.links.setAddresses(index, parsed)
    }
  }

  send (to: number, bytes: Uint8Array): void {
    this.#checkMember(to)
    this.#checkSize(bytes)
    if (this.#running?.consensus.send(to, bytes) !== true) this.#metrics?.dropped.inc({ kind: 'consensus', reason: 'not_running' })
  }

  broadcast (bytes: Uint8Array): void {
    this.#checkSize(bytes)
    if (this.#running?.consensus.broadcast(bytes) !== true) this.#metrics?.dropped.inc({ kind: 'consensus', reason: 'not_running' }, this.#others.length)
  }

  onMessage (handler: MessageHandler): void {
    this.#messageHandler = handler
  }

  async publishChunk (bytes: Uint8Array, id: Uint8Array): Promise<void> {
    if (id.byteLength !== CHUNK_ID_BYTES) throw new P2PError(P2PErrorCode.BAD_ARGUMENT, 'a chunk id is 32 bytes')
    this.#checkSize(bytes)
    const running = this.#running
    if (this.#status !== 'started' || running === undefined) throw new P2PError(P2PErrorCode.NOT_RUNNING, 'the transport is not running')
    await running.chunks.publish(bytes, id)
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
      const running = this.#running
      if (this.#status !== 'started' || running === undefined) throw new P2PError(P2PErrorCode.NOT_RUNNING, 'the transport is not running')
      return await running.requests.request(to, protocol, bytes, timeoutMs)
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
    if (isNew && this.#running !== undefined) {
      this.#running.requests.serve(protocol).catch((err: unknown) => {
        this.#log?.error({ err, protocol }, 'registering a request protocol failed')
      })
    }
  }

  reportReject (from: number, reason: string, penalty: number): void {
    if (from === this.selfIndex || this.#directory.peerIds[from] === undefined) return
    this.#gater.reject(this.peerIdOf(from), reason, penalty)
  }

  peerStandings (): PeerStanding[] {
    return this.#gater.standings()
  }

  connectionCounts (): Map<number, number> {
    return this.#running?.links.connectionCounts() ?? new Map(this.#others.map((i) => [i, 0]))
  }

  async #start (): Promise<void> {
    const node = await this.#createNode()
    const running = this.#services(node)
    this.#running = running
    this.#opts.isolation?.attach(node, running.links.dialed().map((i) => this.#directory.peerId(i)))
    running.links.start()
    await running.consensus.start()
    await running.chunks.start()
    await running.requests.start()
    await node.start()
    running.chunks.afterStart()
    running.links.afterStart()
    for (const [index, addrs] of this.#peerAddrs) running.links.setAddresses(index, addrs)
    this.#log?.info({ addrs: this.listenAddrs, chunkTransport: this.#opts.chunkTransport }, 'p2p started')
  }

  async #teardown (): Promise<void> {
    const running = this.#running
    this.#running = undefined
    if (running === undefined) return
    running.links.stop()
    running.chunks.stop()
    running.consensus.stop()
    running.requests.stop()
    try {
      await running.node.stop()
    } catch (err) {
      this.#log?.error({ err }, 'stopping libp2p failed')
    }
  }

  async #createNode (): Promise<Libp2p<Services>> {
    const opts = this.#opts
    return createLibp2p<Services>({
      privateKey: this.#privateKey,
      start: false,
      addresses: { listen: opts.listen, announce: opts.announce ?? [] },
      transports: [tcp()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      connectionGater: this.#gater.connectionGater,
      connectionManager: { inboundConnectionThreshold: INBOUND_CONNECTIONS_PER_HOST_PER_SECOND },
      connectionMonitor: { pingTimeout: { minTimeout: PING_MIN_TIMEOUT_MS } },
      services: {
        identify: identify(),
        ...(opts.chunkTransport === 'gossipsub'
          ? {
              pubsub: chunkGossipsub({
                topic: this.#protocols.chunkTopic,
                maxMessageBytes: opts.maxMessageBytes,
                isMember: (peerId) => this.#directory.indexOf(peerId) !== undefined,
                maxOutboundBufferBytes: GOSSIP_OUTBOUND_BUFFER_FACTOR * opts.maxQueuedChunkBytes
              })
            }
          : {})
      }
    })
  }

  /** Each service gets the components it uses, as js-libp2p hands its services theirs. */
  #services (node: Libp2p<Services>): Running {
    const opts = this.#opts
    const shared = { gater: this.#gater, metrics: this.#metrics, log: this.#log }
    const links = new MemberLinks({ node, directory: this.#directory, selfIndex: opts.selfIndex, redialMinMs: opts.redialMinMs, redialMaxMs: opts.redialMaxMs, metrics: this.#metrics, log: this.#log })
    const frames = { ...shared, links, chunkStallMs: opts.chunkStallMs, redialMinMs: opts.redialMinMs, redialMaxMs: opts.redialMaxMs }
    const consensus = new ConsensusMessages({
      ...frames, node, protocol: this.#protocols.consensus, maxMessageBytes: opts.maxMessageBytes, maxQueuedMessages: opts.maxQueuedMessages, maxQueuedMessageAgeMs: opts.maxQueuedMessageAgeMs, handler: () => this.#messageHandler
    })
    const validator = (): ChunkValidator | undefined => this.#chunkValidator
    const chunks = node.services.pubsub !== undefined
      ? new GossipChunks({ ...shared, links, pubsub: node.services.pubsub, topic: this.#protocols.chunkTopic, maxMessageBytes: opts.maxMessageBytes, maxQueuedChunkBytes: opts.maxQueuedChunkBytes, validator })
      : new DirectChunks({ ...frames, node, protocol: this.#protocols.chunks, maxMessageBytes: opts.maxMessageBytes, maxQueuedChunkBytes: opts.maxQueuedChunkBytes, validator, peerIdOf: (i) => this.peerIdOf(i) })
    const requests = new RequestService({
      ...shared,
      node,
      links,
      maxMessageBytes: opts.maxMessageBytes,
      maxConcurrentRequests: opts.maxConcurrentRequests,
      protocolId: this.#protocols.request,
      peerIdOf: (i) => this.peerIdOf(i),
      handlers: this.#requestHandlers
    })
    return { node, links, consensus, chunks, requests }
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
}
