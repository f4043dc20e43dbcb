/**
 * Dissemination of consensus messages: one long-lived outbound stream per member
 * (`/seq/<chain>/consensus/1`) with length-prefixed frames and a bounded drop-oldest
 * queue whose frames expire after `maxQueuedMessageAgeMs` (a member back from an outage
 * gets the current rounds, not the backlog), reopened on failure; inbound frames go to the
 * one message handler.
 */
import { MAX_INBOUND_STREAMS } from './committee-options.js'
import { encodeFrame } from './framing.js'
import { inboundFrameHandler, outboundFrameChannel, type FrameServiceComponents } from './frame-streams.js'
import type { OutboundChannel } from './outbound-channel.js'
import type { MessageHandler } from './types.js'

export interface ConsensusMessagesComponents extends FrameServiceComponents {
  maxQueuedMessages: number
  maxQueuedMessageAgeMs: number
  /** the handler registered now (it may change after start) */
  handler: () => MessageHandler | undefined
}

export class ConsensusMessages {
  readonly #c: ConsensusMessagesComponents
  readonly #channels = new Map<number, OutboundChannel>()

  constructor (components: ConsensusMessagesComponents) {
    this.#c = components
  }

  /** Before the node starts: serve the protocol and open a queue per member. */
  async start (): Promise<void> {
    const c = this.#c
    await c.node.handle(c.protocol, inboundFrameHandler(c, 'consensus', c.maxMessageBytes, (from, frame) => { this.#deliver(from, frame) }), { maxInboundStreams: MAX_INBOUND_STREAMS })
    for (const index of c.links.others) {
      this.#channels.set(index, outboundFrameChannel(c, index, c.protocol, 'consensus', { maxFrames: c.maxQueuedMessages, maxBytes: Number.POSITIVE_INFINITY, maxAgeMs: c.maxQueuedMessageAgeMs }))
    }
    c.node.addEventListener('peer:connect', (evt) => {
      const index = c.links.memberIndex(evt.detail)
      if (index !== undefined) this.#channels.get(index)?.onConnected()
    })
  }

  stop (): void {
    for (const channel of this.#channels.values()) channel.close()
    this.#channels.clear()
  }

  /** Queues a message for one member; false when the service is stopped (nothing queued). */
  send (to: number, bytes: Uint8Array): boolean {
    const channel = this.#channels.get(to)
    if (channel === undefined) return false
    if (this.#c.gater.mutes(to)) this.#c.metrics?.dropped.inc({ kind: 'consensus', reason: 'muted' })
    else channel.pushDroppable(encodeFrame(bytes))
    return true
  }

  /** Queues a message for every other member; false when the service is stopped. */
  broadcast (bytes: Uint8Array): boolean {
    if (this.#channels.size === 0) return false
    const frame = encodeFrame(bytes)
    for (const [to, channel] of this.#channels) {
      if (this.#c.gater.mutes(to)) this.#c.metrics?.dropped.inc({ kind: 'consensus', reason: 'muted' })
      else channel.pushDroppable(frame)
    }
    return true
  }

  #deliver (from: number, bytes: Uint8Array): void {
    const { metrics, log } = this.#c
    metrics?.messagesIn.inc({ kind: 'consensus', peer: String(from) })
    const handler = this.#c.handler()
    if (handler === undefined) {
      metrics?.dropped.inc({ kind: 'consensus', reason: 'no_handler' })
      return
    }
    try {
      handler(from, bytes)
    } catch (err) {
      log?.error({ err, from }, 'the consensus message handler threw')
    }
  }
}
