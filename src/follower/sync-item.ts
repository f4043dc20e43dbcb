/**
 * A SyncItem is the msgpack tuple [batch, finality]: its canonical bytes are the fixarray
 * header 0x92 followed by the two stored encodings, so a stored batch goes on the wire
 * without being decoded and encoded again.
 */
const FIXARRAY_OF_TWO = 0x92

export function syncItemBytes (batchBytes: Uint8Array, commitProofBytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(1 + batchBytes.byteLength + commitProofBytes.byteLength)
  out[0] = FIXARRAY_OF_TWO
  out.set(batchBytes, 1)
  out.set(commitProofBytes, 1 + batchBytes.byteLength)
  return out
}
