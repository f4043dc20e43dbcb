/**
 * Reads length-prefixed frames (framing.ts) off a one-way public stream: each whole frame to
 * `deliver`; a malformed or oversized one aborts the stream and is reported as the peer's.
 */
import type { Stream } from '@libp2p/interface'
import { P2PError, P2PErrorCode } from './errors.js'
import { FrameDecoder } from './framing.js'

export function readFrames (stream: Stream, maxFrameBytes: number, deliver: (frame: Uint8Array) => void, onRefused: (err: P2PError) => void): void {
  const decoder = new FrameDecoder(maxFrameBytes)
  stream.addEventListener('message', (evt) => {
    try {
      for (const frame of decoder.push(evt.data)) deliver(frame)
    } catch (err) {
      // [REJECT] frames are well formed and within the size limit
      const refused = err instanceof P2PError ? err : new P2PError(P2PErrorCode.MALFORMED, String(err))
      stream.abort(refused)
      onRefused(refused)
    }
  })
}
