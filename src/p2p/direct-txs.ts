/**
 * Txs a follower sends straight to the member that admits them (their home, `relayHome`),
 * on one long-lived stream per member (`/seq/<chain>/txs-direct/1`): each frame is a
 * `RelayBundle`. On the tx topic a bundle reaches every member, and each member that is not
 * a tx's home verifies its signature only to give gossipsub a verdict; on this stream one
 * member gets only its own share and admits it, so a relayed tx costs the committee one
 * signature check, as an API submission does. The tx topic stays the path for txs whose
 * home has no stream from us (not connected, or not drained: no queue here).
 */
import type { Connection, Stream } from '@libp2p/interface'
import { P2PError, P2PErrorCode } from './errors.js'
import { encodeFrame } from './framing.js'
import { readFrames } from './frame-reader.js'

/** A follower's side: the open tx stream per member, written while it is drained. */
export class DirectTxLinks {
  readonly #streams = new Map<string, Stream>()
  readonly #opening = new Set<string>()
  #closed = false

  /** Opens the stream to `peer` on `connection`, unless one is open or opening. */
  open (peer: string, connection: Pick<Connection, 'newStream'>, protocol: string, onFailed: (err: unknown) => void): void {
    if (this.#streams.get(peer)?.status === 'open' || this.#opening.has(peer)) return
    this.#opening.add(peer)
    connection.newStream(protocol).then((stream) => {
      this.#opening.delete(peer)
      if (this.#closed) {
        stream.abort(new P2PError(P2PErrorCode.NOT_RUNNING, 'the public network stopped'))
        return
      }
      this.#streams.set(peer, stream)
      stream.addEventListener('close', () => { if (this.#streams.get(peer) === stream) this.#streams.delete(peer) }, { once: true })
    }, (err: unknown) => {
      this.#opening.delete(peer)
      onFailed(err)
    })
  }

  has (peer: string): boolean {
    return this.#streams.get(peer)?.status === 'open'
  }

  /** One encoded RelayBundle to `peer`; false (nothing sent) when there is no open, drained stream. */
  send (peer: string, bundle: Uint8Array): boolean {
    const stream = this.#streams.get(peer)
    if (stream === undefined || stream.status !== 'open' || stream.writableNeedsDrain) return false
    stream.send(encodeFrame(bundle))
    return true
  }

  close (): void {
    this.#closed = true
    for (const stream of this.#streams.values()) stream.abort(new P2PError(P2PErrorCode.NOT_RUNNING, 'the public network stopped'))
    this.#streams.clear()
  }
}

/** A member's side: every frame of an inbound tx stream to `deliver`; a bad frame ends the stream. */
export function receiveDirectTxs (stream: Stream, maxFrameBytes: number, deliver: (frame: Uint8Array) => void, onRefused: (err: P2PError) => void): void {
  stream.addEventListener('remoteCloseWrite', () => { stream.close().catch((err: Error) => { stream.abort(err) }) }, { once: true })
  readFrames(stream, maxFrameBytes, deliver, onRefused)
}
