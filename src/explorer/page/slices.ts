/**
 * Fetches a rollup's slices by height range and verifies each one with the SDK (finality
 * certificate against the trust root, NMT completeness, sender proofs). The result of a
 * height is what the SDK said, verified or refused with its code and reason; nothing of
 * the node's JSON view but the encoded slice is used.
 */
import { ClientError, type SliceVerifier, type VerifiedSlice } from 'shared-sequencer-node/sdk'
import { base64ToBytes, getJson, type SliceRangeJson } from './api.js'

export type SliceResult =
  | { height: number, ok: true, slice: VerifiedSlice, bytes: number }
  | { height: number, ok: false, code: string, reason: string }

export function verifyEncoded (verifier: SliceVerifier, rollupId: number, height: number, encoded: string): SliceResult {
  let bytes: Uint8Array
  try {
    bytes = base64ToBytes(encoded)
  } catch {
    return { height, ok: false, code: 'BAD_RESPONSE', reason: 'the encoded slice is not base64' }
  }
  try {
    return { height, ok: true, slice: verifier.verifySliceBytes(bytes, { rollupId, height }), bytes: bytes.length }
  } catch (err) {
    if (err instanceof ClientError) return { height, ok: false, code: err.code, reason: 'reason' in err ? String(err.reason) : err.message }
    return { height, ok: false, code: 'VERIFY_ERROR', reason: (err as Error).message }
  }
}

/** Heights `from..to` (inclusive), paged as the range route allows; each height once, in order. */
export async function fetchSlices (verifier: SliceVerifier, rollupId: number, from: number, to: number): Promise<SliceResult[]> {
  const results: SliceResult[] = []
  let next = from
  while (next <= to) {
    const range = await getJson<SliceRangeJson>(`v1/rollups/${rollupId}/slices?from=${next}&to=${to}`)
    if (range.slices.length === 0) break
    // The i-th slice must be the one of height next + i: the height comes from our request, not the reply.
    range.slices.forEach((s, i) => results.push(verifyEncoded(verifier, rollupId, next + i, s.encoded)))
    next += range.slices.length
  }
  return results
}
