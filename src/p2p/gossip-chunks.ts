/**
 * Chunk dissemination over gossipsub 17 (`chunkTransport: 'gossipsub'`, for partially
 * connected networks): publishes `id || bytes` on the topic `/seq/<chain>/chunks/1` (the
 * settings are in gossip.ts), maps our chunk verdicts to gossipsub's accept / ignore /
 * reject, waits for room since `publish` has no backpressure, and replaces member links
 * that gossipsub can no longer send on (connection-policy.ts).
 */
import { TopicValidatorResult, type GossipSub } from '@libp2p/gossipsub'
import type { PeerId, Stream } from '@libp2p/interface'
import type { Logger } from 'pino'
import { chunkEnvelope, judgeChunk, recordChunkJudgement, type ChunkJudgement, type ChunkJudgementSink } from './chunks.js'
import { gossipLinksToReset } from './connection-policy.js'
import { P2PError, P2PErrorCode } from './errors.js'
import type { CommitteeGater } from './gater.js'
import type { MemberLinks } from './member-links.js'
import { waitForDrainOrTimeout } from './stream-utils.js'
import type { ChunkValidator, P2PMetrics } from './types.js'

/** how often a publisher waiting for gossip room looks again if no drain event came */
const GOSSIP_ROOM_RECHECK_MS = 100
/** gossipsub opens its outbound stream within a round trip or two of identify; a link without one after this is broken */
const GOSSIP_LINK_GRACE_MS = 3000
const GOSSIP_LINK_CHECK_MS = 1000

/** gossipsub 17 internals read for publisher backpressure (its `publish` has none). */
interface GossipInternals {
  streamsOutbound?: Map<string, { rawStream: Stream }>
}

export interface GossipChunksComponents {
  pubsub: GossipSub
  topic: string
  links: MemberLinks
  gater: CommitteeGater
  metrics: P2PMetrics | null
  log: Logger | null
  maxMessageBytes: number
  maxQueuedChunkBytes: number
  /** the validator registered now (it may change after start) */
  validator: () => ChunkValidator | undefined
}

export class GossipChunks {
  readonly #c: GossipChunksComponents
  readonly #sink: ChunkJudgementSink
  #running = false
  #linkTimer: ReturnType<typeof setInterval> | undefined

  constructor (components: GossipChunksComponents) {
    this.#c = components
    this.#sink = { metrics: components.metrics, log: components.log, reject: (peer, code) => { components.gater.reject(peer, code) } }
  }

  async start (): Promise<void> {}

  /** gossipsub is running: validate and subscribe, and watch the member links. */
  afterStart (): void {
    const { pubsub, topic } = this.#c
    pubsub.topicValidators.set(topic, (peer, msg) => this.#validate(peer, msg.data))
    pubsub.subscribe(topic)
    this.#running = true
    this.#linkTimer = setInterval(() => { this.#resetBrokenLinks() }, GOSSIP_LINK_CHECK_MS)
    this.#linkTimer.unref()
  }

  stop (): void {
    this.#running = false
    clearInterval(this.#linkTimer)
  }

  async publish (bytes: Uint8Array, id: Uint8Array): Promise<void> {
    await this.#waitForRoom()
    if (!this.#running) throw new P2PError(P2PErrorCode.NOT_RUNNING, 'the transport stopped')
    const envelope = chunkEnvelope(id, bytes)
    await this.#c.pubsub.publish(this.#c.topic, envelope)
    this.#c.metrics?.messagesOut.inc({ kind: 'chunk' })
    this.#c.metrics?.bytesOut.inc({ kind: 'chunk' }, envelope.byteLength)
  }

  #validate (peer: PeerId, data: Uint8Array): TopicValidatorResult {
    const c = this.#c
    const id = peer.toString()
    // [IGNORE] over its budget: dropped unseen (so gossipsub does not count it as invalid twice)
    if (!c.gater.admitGossip(id, 'chunk', data.byteLength)) return TopicValidatorResult.Ignore
    const from = c.links.memberIndex(id)
    let judgement: ChunkJudgement
    if (from === undefined) {
      // [REJECT] only committee members relay chunks
      judgement = { verdict: 'reject', reason: P2PErrorCode.NOT_MEMBER }
    } else {
      c.metrics?.messagesIn.inc({ kind: 'chunk', peer: String(from) })
      c.metrics?.bytesIn.inc({ kind: 'chunk' }, data.byteLength)
      judgement = judgeChunk(c.validator(), from, data, c.maxMessageBytes)
    }
    recordChunkJudgement(this.#sink, c.topic, id, judgement)
    switch (judgement.verdict) {
      case 'accept': return TopicValidatorResult.Accept
      case 'reject': return TopicValidatorResult.Reject
      default: return TopicValidatorResult.Ignore
    }
  }

  /**
   * Waits while any member's gossip stream holds `maxQueuedChunkBytes` or more of unsent
   * data. Unlike direct mode there is no stall limit: gossipsub cannot skip one member, and
   * publishing on regardless lets forwarded traffic pile up until gossipsub's buffer cap
   * resets the stream, after which it sends that member nothing until a reconnect (measured:
   * half the chunks lost at saturation). A member that stops reading is dropped by libp2p's
   * connection monitor, which ends the wait.
   */
  async #waitForRoom (): Promise<void> {
    const streams = (this.#c.pubsub as unknown as GossipInternals).streamsOutbound
    if (streams === undefined) return
    for (const outbound of streams.values()) {
      const stream = outbound.rawStream
      while (this.#running && stream.status === 'open' && stream.writeBufferLength >= this.#c.maxQueuedChunkBytes) {
        await waitForDrainOrTimeout(stream, GOSSIP_ROOM_RECHECK_MS)
      }
    }
  }

  /** Closes member links gossipsub can no longer send on; the dialer reconnects them (connection-policy.ts). */
  #resetBrokenLinks (): void {
    const { links, metrics, log } = this.#c
    const streams = (this.#c.pubsub as unknown as GossipInternals).streamsOutbound
    if (!this.#running || streams === undefined) return
    const connectedSince = new Map<number, number>()
    for (const index of links.others) {
      const connection = links.connectionTo(index)
      if (connection !== undefined) connectedSince.set(index, connection.timeline.open)
    }
    const withOutboundStream = new Set<number>()
    for (const [peer, outbound] of streams) {
      const index = links.memberIndex(peer)
      if (index !== undefined && outbound.rawStream.status === 'open') withOutboundStream.add(index)
    }
    for (const index of gossipLinksToReset({ connectedSince, withOutboundStream }, Date.now(), GOSSIP_LINK_GRACE_MS)) {
      metrics?.connectionsReplaced.inc({ reason: 'gossip_link_lost' })
      log?.warn({ index }, 'gossipsub has no outbound stream to a connected member: reconnecting it')
      links.abortConnections(index, new P2PError(P2PErrorCode.NOT_CONNECTED, 'gossip link lost'))
    }
  }
}
