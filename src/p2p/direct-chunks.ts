/**
 * Chunk dissemination over direct streams (`chunkTransport: 'direct'`): each chunk is
 * written once to every other member on `/seq/<chain>/chunks/1` as `id || bytes`, with
 * publisher backpressure per member (a member stalled past `chunkStallMs` misses the chunk
 * and fetches it by digest later). See bench/results/p2p-chunk-throughput.md for the choice.
 */
import { MAX_INBOUND_STREAMS } from './committee-options.js'
import { CHUNK_ID_BYTES, judgeChunk, recordChunkJudgement, type ChunkJudgementSink } from './chunks.js'
import { P2PError, P2PErrorCode } from './errors.js'
import { encodeFrame } from './framing.js'
import { inboundFrameHandler, outboundFrameChannel, type FrameServiceComponents } from './frame-streams.js'
import type { OutboundChannel } from './outbound-channel.js'
import type { ChunkValidator } from './types.js'

export interface DirectChunksComponents extends FrameServiceComponents {
  maxQueuedChunkBytes: number
  /** the validator registered now (it may change after start) */
  validator: () => ChunkValidator | undefined
  peerIdOf: (index: number) => string
}

export class DirectChunks {
  readonly #c: DirectChunksComponents
  readonly #channels = new Map<number, OutboundChannel>()
  readonly #sink: ChunkJudgementSink
  #running = false

  constructor (components: DirectChunksComponents) {
    this.#c = components
    this.#sink = { metrics: components.metrics, log: components.log, reject: (peer, code) => { components.gater.reject(peer, code) } }
  }

  /** Before the node starts: serve the protocol and open a queue per member. */
  async start (): Promise<void> {
    const c = this.#c
    this.#running = true
    const maxFrameBytes = c.maxMessageBytes + CHUNK_ID_BYTES
    await c.node.handle(c.protocol, inboundFrameHandler(c, 'chunk', maxFrameBytes, (from, frame) => { this.#deliver(from, frame) }), { maxInboundStreams: MAX_INBOUND_STREAMS })
    for (const index of c.links.others) {
      this.#channels.set(index, outboundFrameChannel(c, index, c.protocol, 'chunk', { maxFrames: Number.POSITIVE_INFINITY, maxBytes: c.maxQueuedChunkBytes, maxAgeMs: Number.POSITIVE_INFINITY }))
    }
    c.node.addEventListener('peer:connect', (evt) => {
      const index = c.links.memberIndex(evt.detail)
      if (index !== undefined) this.#channels.get(index)?.onConnected()
    })
    c.node.addEventListener('peer:disconnect', (evt) => {
      const index = c.links.memberIndex(evt.detail)
      if (index !== undefined) this.#channels.get(index)?.dropPending('not_connected')
    })
  }

  afterStart (): void {}

  stop (): void {
    this.#running = false
    for (const channel of this.#channels.values()) channel.close()
    this.#channels.clear()
  }

  /** Resolves once every member's queue took the chunk or dropped it (stalled, not connected). */
  async publish (bytes: Uint8Array, id: Uint8Array): Promise<void> {
    const frame = encodeFrame(id, bytes)
    await Promise.all([...this.#channels].map(async ([to, channel]) => {
      if (this.#c.gater.mutes(to)) this.#c.metrics?.dropped.inc({ kind: 'chunk', reason: 'muted' })
      else await channel.pushWithRoom(frame)
    }))
    if (!this.#running) throw new P2PError(P2PErrorCode.NOT_RUNNING, 'the transport stopped')
  }

  #deliver (from: number, frame: Uint8Array): void {
    const c = this.#c
    // [REJECT] a chunk frame starts with its 32-byte id (the frame limit already bounds the size)
    if (frame.byteLength < CHUNK_ID_BYTES) throw new P2PError(P2PErrorCode.MALFORMED, 'a chunk frame without its id')
    c.metrics?.messagesIn.inc({ kind: 'chunk', peer: String(from) })
    recordChunkJudgement(this.#sink, c.protocol, c.peerIdOf(from), judgeChunk(c.validator(), from, frame, c.maxMessageBytes))
  }
}
