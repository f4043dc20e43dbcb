/**
 * Final batches pushed from a member straight to the followers connected to it, on one
 * long-lived stream per follower (`/seq/<chain>/final-push/1`): the follower opens the
 * stream, the member only writes length-prefixed frames (each a SyncItem, the stored bytes
 * `0x92 || batch || commit proof`) at commit. It saves the final topic's wait for the
 * proposer and its publish, and reaches the follower from whichever member commits first.
 *
 * Best effort, never a queue: a frame for a subscriber whose stream has not drained is
 * dropped for that subscriber (it fills the gap from gossip or sync), so a slow follower
 * costs a member nothing but the skipped send. The frame is encoded once for everyone.
 */
import type { Connection, Stream } from '@libp2p/interface'
import { P2PError, P2PErrorCode } from './errors.js'
import { encodeFrame } from './framing.js'
import { readFrames } from './frame-reader.js'

/** followers one member pushes to at most; more subscribe in vain and live on gossip and sync */
export const MAX_PUSH_SUBSCRIBERS = 64

export interface FinalPushCounters {
  /** frames written, summed over subscribers */
  sent: number
  /** frames skipped because a subscriber's stream had not drained */
  skipped: number
  /** subscriptions refused (over `MAX_PUSH_SUBSCRIBERS`) */
  refused: number
}

/** A member's side: the subscribed followers' streams and the push to all of them. */
export class FinalPushServer {
  readonly #streams = new Set<Stream>()
  readonly counters: FinalPushCounters = { sent: 0, skipped: 0, refused: 0 }

  constructor (private readonly maxSubscribers = MAX_PUSH_SUBSCRIBERS) {}

  get subscribers (): number {
    return this.#streams.size
  }

  /** The protocol handler: the stream is the subscription, until either side closes it. */
  accept (stream: Stream): void {
    if (this.#streams.size >= this.maxSubscribers) {
      this.counters.refused++
      stream.abort(new P2PError(P2PErrorCode.RATE_LIMITED, `${this.maxSubscribers} followers subscribed already`))
      return
    }
    this.#streams.add(stream)
    stream.addEventListener('close', () => { this.#streams.delete(stream) }, { once: true })
    // a subscriber sends nothing: anything it does send is dropped unread
    stream.addEventListener('remoteCloseWrite', () => { stream.close().catch((err: Error) => { stream.abort(err) }) }, { once: true })
  }

  /** One encoded SyncItem to every subscriber that can take it now. */
  push (item: Uint8Array): void {
    if (this.#streams.size === 0) return
    const frame = encodeFrame(item)
    for (const stream of this.#streams) {
      if (stream.status !== 'open') { this.#streams.delete(stream); continue }
      if (stream.writableNeedsDrain) { this.counters.skipped++; continue }
      stream.send(frame)
      this.counters.sent++
    }
  }

  close (): void {
    for (const stream of this.#streams) stream.abort(new P2PError(P2PErrorCode.NOT_RUNNING, 'the public network stopped'))
    this.#streams.clear()
  }
}

export interface PushSubscriptionOptions {
  connection: Pick<Connection, 'newStream'>
  protocol: string
  maxFrameBytes: number
  /** one frame (an encoded SyncItem) from the member */
  deliver: (frame: Uint8Array) => void
  /** a malformed or oversized frame: the stream is dropped and the peer charged */
  onRefused: (err: P2PError) => void
}

/** A follower's side: opens the push stream to one member and hands on every frame. */
export async function subscribeFinalPush (opts: PushSubscriptionOptions): Promise<Stream> {
  const stream = await opts.connection.newStream(opts.protocol)
  readFrames(stream, opts.maxFrameBytes, opts.deliver, opts.onRefused)
  return stream
}
