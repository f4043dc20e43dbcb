/**
 * A walk over raw msgpack bytes before msgpackr builds any object: our formats never use
 * maps or extensions and nest at most MAX_DEPTH deep, so those are refused here and a
 * hostile input cannot make the unpacker allocate a large tree of objects we would reject
 * anyway (4 MiB of empty maps cost ~900 MB and 3 s before this check). Scalars of any kind
 * pass (they allocate nothing) and are judged by the schema. Only headers are visited;
 * bin/str bodies are skipped.
 */
import { CodecError, CodecErrorCode } from './errors.js'

const MAX_DEPTH = 12 // SyncResponse > items > SyncItem > Batch > chunks > Chunk > txs > Tx > actions > Action is 10

export function prescan (bytes: Uint8Array): void {
  const u16 = (at: number): number => (bytes[at]! << 8) | bytes[at + 1]!
  const u32 = (at: number): number => bytes[at]! * 0x100_0000 + ((bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!)
  // remaining[d] = elements still to read in the array open at depth d
  const remaining: number[] = [1]
  let pos = 0
  const need = (n: number): void => {
    if (pos + n > bytes.length) throw new CodecError(CodecErrorCode.MALFORMED, 'truncated msgpack')
  }
  while (remaining.length > 0) {
    if (remaining[remaining.length - 1] === 0) { remaining.pop(); continue }
    remaining[remaining.length - 1]!--
    need(1)
    const b = bytes[pos++]!
    let arrayLength = -1
    if (b <= 0x7f || b >= 0xe0) continue // fixint
    if (b >= 0x90 && b <= 0x9f) arrayLength = b & 0x0f
    else if (b >= 0xa0 && b <= 0xbf) { const n = b & 0x1f; need(n); pos += n; continue } // fixstr
    else {
      switch (b) {
        case 0xc0: case 0xc2: case 0xc3: continue // nil, false, true
        case 0xcc: case 0xd0: need(1); pos += 1; continue
        case 0xcd: case 0xd1: need(2); pos += 2; continue
        case 0xce: case 0xd2: case 0xca: need(4); pos += 4; continue
        case 0xcf: case 0xd3: case 0xcb: need(8); pos += 8; continue
        case 0xc4: case 0xd9: { need(1); const n = bytes[pos]!; pos += 1; need(n); pos += n; continue }
        case 0xc5: case 0xda: { need(2); const n = u16(pos); pos += 2; need(n); pos += n; continue }
        case 0xc6: case 0xdb: { need(4); const n = u32(pos); pos += 4; need(n); pos += n; continue }
        case 0xdc: need(2); arrayLength = u16(pos); pos += 2; break
        case 0xdd: need(4); arrayLength = u32(pos); pos += 4; break
        default:
          throw new CodecError(CodecErrorCode.WRONG_SHAPE, `msgpack type 0x${b.toString(16)} is not used by this protocol`)
      }
    }
    // Every element takes at least one byte: a longer array than the bytes left is a lie.
    if (arrayLength > bytes.length - pos) throw new CodecError(CodecErrorCode.MALFORMED, 'array longer than the input')
    if (remaining.length >= MAX_DEPTH) throw new CodecError(CodecErrorCode.WRONG_SHAPE, `nested deeper than ${MAX_DEPTH}`)
    remaining.push(arrayLength)
  }
  if (pos !== bytes.length) throw new CodecError(CodecErrorCode.MALFORMED, `trailing bytes after the value (${bytes.length - pos} bytes)`)
}
