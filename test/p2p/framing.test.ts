/**
 * Length-prefixed framing: round trips however the bytes are split, and refusal of
 * oversized, padded or overlong length prefixes before any body is buffered.
 */
import t from 'tap'
import fc from 'fast-check'
import { encodeFrame, FrameDecoder } from '../../src/p2p/framing.js'
import { P2PErrorCode } from '../../src/p2p/index.js'
import { throwsWithCode } from '../helpers/assert-error.js'

t.test('frames round-trip across any split of the byte stream', async (t) => {
  fc.assert(fc.property(
    fc.array(fc.uint8Array({ maxLength: 600 }), { maxLength: 8 }),
    fc.array(fc.integer({ min: 1, max: 700 }), { minLength: 1, maxLength: 20 }),
    (bodies, cuts) => {
      const wire = Buffer.concat(bodies.map((b) => encodeFrame(b)))
      const decoder = new FrameDecoder(1000)
      const out: Uint8Array[] = []
      let offset = 0
      for (let i = 0; offset < wire.length; i++) {
        const size = cuts[i % cuts.length]!
        for (const frame of decoder.push(wire.subarray(offset, offset + size))) out.push(frame)
        offset += size
      }
      return out.length === bodies.length && out.every((frame, i) => Buffer.from(frame).equals(Buffer.from(bodies[i]!)))
    }
  ))
  t.pass('property holds')
  const decoder = new FrameDecoder(10)
  t.same([...decoder.push([Uint8Array.of(3, 1), Uint8Array.of(2, 3, 0)])].map((f) => [...f]), [[1, 2, 3], []], 'chunk lists and empty frames')
  t.same([...encodeFrame(new Uint8Array(300)).subarray(0, 2)], [0xac, 0x02], 'varint prefix')
  t.same([...encodeFrame(Uint8Array.of(1), Uint8Array.of(2, 3))], [3, 1, 2, 3], 'parts are concatenated')
})

t.test('bad prefixes are refused before the body arrives', async (t) => {
  const decoder = new FrameDecoder(1000)
  const good = [...decoder.push(Uint8Array.of(1, 7))]
  t.same(good.map((f) => [...f]), [[7]])
  // 1001 as a varint: refused on the prefix alone.
  throwsWithCode(t, () => [...new FrameDecoder(1000).push(Uint8Array.of(0xe9, 0x07))], P2PErrorCode.TOO_LARGE)
  throwsWithCode(t, () => [...new FrameDecoder(1000).push(Uint8Array.of(0x81, 0x00))], P2PErrorCode.MALFORMED, 'padded varint')
  throwsWithCode(t, () => [...new FrameDecoder(2 ** 40).push(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0x01))], P2PErrorCode.MALFORMED, 'varint over 5 bytes')
  // Frames before a bad prefix in the same chunk are still delivered.
  const mixed = new FrameDecoder(10)
  const seen: number[][] = []
  throwsWithCode(t, () => { for (const f of mixed.push(Uint8Array.of(1, 9, 0x7f))) seen.push([...f]) }, P2PErrorCode.TOO_LARGE)
  t.same(seen, [[9]])
  // An incomplete prefix waits for more bytes.
  const split = new FrameDecoder(1000)
  t.same([...split.push(Uint8Array.of(0xac))], [])
  t.same([...split.push(Uint8Array.of(0x02))], [])
  t.equal([...split.push(new Uint8Array(300))][0]!.byteLength, 300)
})
