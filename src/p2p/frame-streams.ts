/**
 * Length-prefixed frame streams between members, the carrier of both consensus messages
 * and direct chunks: one outbound channel per member (outbound-channel.ts) and a handler
 * for inbound streams that checks membership and charges each frame to the sender's budget.
 */
import type { Libp2p, StreamHandler } from '@libp2p/interface'
import type { Logger } from 'pino'
import { CONNECT_TIMEOUT_MS } from './committee-options.js'
import { P2PError, P2PErrorCode } from './errors.js'
import { FrameDecoder } from './framing.js'
import type { CommitteeGater } from './gater.js'
import type { MemberLinks } from './member-links.js'
import { OutboundChannel, type DropReason } from './outbound-channel.js'
import { closeWhenRemoteCloses } from './stream-utils.js'
import type { P2PMetrics } from './types.js'

export type FrameStreamKind = 'consensus' | 'chunk'

export interface FrameStreamComponents {
  links: MemberLinks
  gater: CommitteeGater
  metrics: P2PMetrics | null
  log: Logger | null
  chunkStallMs: number
  redialMinMs: number
  redialMaxMs: number
}

/** What a service carried on frame streams gets: the above, its libp2p node, protocol and size limit. */
export interface FrameServiceComponents extends FrameStreamComponents {
  node: Pick<Libp2p, 'handle' | 'addEventListener'>
  protocol: string
  maxMessageBytes: number
}

/** The outbound channel of one kind to one member, bounded in frames or bytes, and in how long a frame may wait. */
export function outboundFrameChannel (
  c: FrameStreamComponents, index: number, protocol: string, kind: FrameStreamKind, bounds: { maxFrames: number, maxBytes: number, maxAgeMs: number }
): OutboundChannel {
  return new OutboundChannel({
    openStream: async (signal) => c.links.openStream(index, protocol, signal),
    isConnected: () => c.links.isConnected(index),
    maxFrames: bounds.maxFrames,
    maxBytes: bounds.maxBytes,
    maxAgeMs: bounds.maxAgeMs,
    stallMs: c.chunkStallMs,
    openTimeoutMs: CONNECT_TIMEOUT_MS,
    retryMinMs: c.redialMinMs,
    retryMaxMs: c.redialMaxMs,
    onSent: (frames, bytes) => {
      c.metrics?.messagesOut.inc({ kind, peer: String(index) }, frames)
      c.metrics?.bytesOut.inc({ kind }, bytes)
    },
    onDrop: (reason: DropReason, frames) => { c.metrics?.dropped.inc({ kind, reason }, frames) },
    onOpenError: (err) => { c.log?.debug({ err, index, protocol }, 'opening a stream failed') }
  })
}

/** A handler for an inbound stream of length-prefixed frames from one member. */
export function inboundFrameHandler (
  c: FrameStreamComponents, kind: FrameStreamKind, maxFrameBytes: number, deliver: (from: number, frame: Uint8Array) => void
): StreamHandler {
  return (stream, connection) => {
    const from = c.gater.memberOf(stream, connection, kind)
    if (from === undefined) return
    const peer = connection.remotePeer.toString()
    const decoder = new FrameDecoder(maxFrameBytes)
    closeWhenRemoteCloses(stream)
    stream.addEventListener('message', (evt) => {
      try {
        for (const frame of decoder.push(evt.data)) {
          if (c.gater.admitFrame(stream, peer, kind, frame.byteLength)) deliver(from, frame)
          else if (stream.status !== 'open') return
        }
      } catch (err) {
        // [REJECT] frames are well formed and within the size limit
        c.gater.refuse(stream, peer, kind, err instanceof P2PError ? err : new P2PError(P2PErrorCode.MALFORMED, String(err)))
      }
    })
  }
}
