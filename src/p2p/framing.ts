/**
 * Length-prefixed frames on a libp2p message stream: an unsigned LEB128 varint length
 * (the multiformats unsigned-varint that libp2p's own protocols use) followed by that many
 * bytes. The decoder checks the declared length against a bound before buffering the body,
 * so a peer cannot make us hold more than one frame's worth of its bytes.
 */
import { P2PError, P2PErrorCode } from './errors.js'

/** A varint for lengths below 2^35 takes at most 5 bytes; longer ones are malformed. */
const MAX_VARINT_BYTES = 5

function varintLength (value: number): number {
  let length = 1
  while (value >= 0x80) {
    value = Math.floor(value / 0x80)
    length++
  }
  return length
}

function writeVarint (target: Uint8Array, value: number): number {
  let offset = 0
  while (value >= 0x80) {
    target[offset++] = (value & 0x7f) | 0x80
    value = Math.floor(value / 0x80)
  }
  target[offset++] = value
  return offset
}

/** One frame holding the concatenation of `parts` (one copy, so a single `send()`). */
export function encodeFrame (...parts: Uint8Array[]): Uint8Array {
  let bodyLength = 0
  for (const part of parts) bodyLength += part.byteLength
  const frame = new Uint8Array(varintLength(bodyLength) + bodyLength)
  let offset = writeVarint(frame, bodyLength)
  for (const part of parts) {
    frame.set(part, offset)
    offset += part.byteLength
  }
  return frame
}

/**
 * Incremental decoder: feed it whatever the stream delivers, get whole frames back.
 * Throws P2PError TOO_LARGE for a declared length above `maxFrameBytes` and MALFORMED for
 * a varint that is too long or not minimal; the caller then resets the stream.
 */
export class FrameDecoder {
  readonly #maxFrameBytes: number
  readonly #chunks: Uint8Array[] = []
  /** read position inside `#chunks[0]` */
  #offset = 0
  #buffered = 0
  /** body length of the frame being assembled, once its prefix has been read */
  #pending = -1

  constructor (maxFrameBytes: number) {
    this.#maxFrameBytes = maxFrameBytes
  }

  /**
   * Appends `data` and yields every frame it completes, in order. A bad prefix throws after
   * the frames before it were yielded; the decoder is then unusable.
   */
  push (data: Iterable<Uint8Array> | Uint8Array): Generator<Uint8Array, void, undefined> {
    for (const chunk of data instanceof Uint8Array ? [data] : data) {
      if (chunk.byteLength === 0) continue
      this.#chunks.push(chunk)
      this.#buffered += chunk.byteLength
    }
    return this.#frames()
  }

  * #frames (): Generator<Uint8Array, void, undefined> {
    while (true) {
      if (this.#pending < 0) {
        const length = this.#readPrefix()
        if (length < 0) return
        this.#pending = length
      }
      if (this.#buffered < this.#pending) return
      const frame = this.#take(this.#pending)
      this.#pending = -1
      yield frame
    }
  }

  /** The next varint length, consumed; -1 when more bytes are needed. */
  #readPrefix (): number {
    let value = 0
    let scale = 1
    let chunkIndex = 0
    let position = this.#offset
    for (let i = 0; i < MAX_VARINT_BYTES; i++) {
      if (i >= this.#buffered) return -1
      let chunk = this.#chunks[chunkIndex]!
      if (position >= chunk.byteLength) {
        chunk = this.#chunks[++chunkIndex]!
        position = 0
      }
      const byte = chunk[position++]!
      value += (byte & 0x7f) * scale
      if ((byte & 0x80) === 0) {
        // A zero last byte after the first one is a padded (non-minimal) varint.
        if (byte === 0 && i > 0) throw new P2PError(P2PErrorCode.MALFORMED, 'non-minimal frame length')
        if (value > this.#maxFrameBytes) {
          throw new P2PError(P2PErrorCode.TOO_LARGE, `frame of ${value} bytes is above the limit of ${this.#maxFrameBytes}`)
        }
        this.#take(i + 1)
        return value
      }
      scale *= 0x80
    }
    throw new P2PError(P2PErrorCode.MALFORMED, 'frame length varint too long')
  }

  /** Removes `count` buffered bytes; a view when they lie in one chunk, else a copy. */
  #take (count: number): Uint8Array {
    this.#buffered -= count
    const first = this.#chunks[0]
    if (count === 0 || first === undefined) return new Uint8Array(0)
    if (first.byteLength - this.#offset >= count) {
      const view = first.subarray(this.#offset, this.#offset + count)
      this.#offset += count
      if (this.#offset === first.byteLength) {
        this.#chunks.shift()
        this.#offset = 0
      }
      return view
    }
    const out = new Uint8Array(count)
    let filled = 0
    while (filled < count) {
      const chunk = this.#chunks[0]!
      const n = Math.min(chunk.byteLength - this.#offset, count - filled)
      out.set(chunk.subarray(this.#offset, this.#offset + n), filled)
      filled += n
      this.#offset += n
      if (this.#offset === chunk.byteLength) {
        this.#chunks.shift()
        this.#offset = 0
      }
    }
    return out
  }
}
