/**
 * A `SliceVerifier` (the SDK interface) made of the node's own slice check
 * (`verifySlice` in src/batch/slice.ts: commit proof with a quorum of committee
 * signatures, namespace, leaf count, NMT completeness proof) with node:crypto ed25519
 * and SHA-256 instead of noble. Same checks as the SDK's `createVerifier` (a test in
 * test/client runs both on the same tampered slices), about 13x cheaper per signature,
 * so verifying every slice does not make the load generator the bottleneck on a 2-core
 * machine. `--verifier noble` uses the SDK's own verifier instead.
 *
 * Every call is timed, so the report can say what verification cost the client.
 */
import { batchHash, nodeNmt, verifySlice as nodeVerifySlice } from '../../src/batch/index.js'
import { bytesToHex, verifyEd25519 } from '../../src/crypto/index.js'
import {
  createVerifier, decodeSlice, SliceErrorCode, SliceVerificationError,
  type Committee, type SliceExpectation, type SliceVerifier, type VerifiedSlice
} from '../../src/client/index.js'
import type { Slice } from '../../src/codec/index.js'

export interface TimedVerifier extends SliceVerifier {
  readonly timing: { calls: number, totalMs: number, maxMs: number }
}

export function createBenchVerifier (committee: Committee, kind: 'node' | 'noble'): TimedVerifier {
  const inner = kind === 'noble' ? createVerifier(committee) : createNodeVerifier(committee)
  const timing = { calls: 0, totalMs: 0, maxMs: 0 }
  const timed = (slice: Slice, expect?: SliceExpectation): VerifiedSlice => {
    const t0 = performance.now()
    try {
      return inner.verifySlice(slice, expect)
    } finally {
      const ms = performance.now() - t0
      timing.calls++
      timing.totalMs += ms
      if (ms > timing.maxMs) timing.maxMs = ms
    }
  }
  return {
    committee: inner.committee,
    timing,
    verifySlice: timed,
    verifySliceBytes: (bytes, expect) => timed(decodeSlice(bytes), expect)
  }
}

function createNodeVerifier (committee: Committee): SliceVerifier {
  const trusted = { chainId: committee.chainId, committeeKeys: committee.committeeKeys.map((k) => k.slice()) }
  const deps = { nmt: nodeNmt, verifySignature: verifyEd25519, batchHash }
  const verifySlice = (slice: Slice, expect: SliceExpectation = {}): VerifiedSlice => {
    if (expect.rollupId !== undefined && slice.rollupId !== expect.rollupId) throw new SliceVerificationError(SliceErrorCode.WRONG_ROLLUP, `slice is for rollup ${slice.rollupId}`)
    if (expect.height !== undefined && slice.header.height !== expect.height) throw new SliceVerificationError(SliceErrorCode.WRONG_HEIGHT, `slice is for height ${slice.header.height}`)
    const check = nodeVerifySlice(trusted, slice, deps)
    if (!check.ok) throw new SliceVerificationError(errorCode(check.reason), check.reason)
    return {
      rollupId: slice.rollupId,
      height: slice.header.height,
      batchHash: bytesToHex(batchHash(slice.header)),
      timestamp: slice.header.timestamp,
      header: slice.header,
      txs: check.leaves.map((l) => ({
        txHash: bytesToHex(l.txHash),
        actionIndex: l.actionIndex,
        actionCount: l.actionCount,
        sender: bytesToHex(l.sender),
        payload: l.payload
      })),
      skipped: check.skipped.map((s) => ({
        index: s.index,
        txHash: bytesToHex(s.leaf.txHash),
        actionIndex: s.leaf.actionIndex,
        sender: bytesToHex(s.leaf.sender),
        reason: s.problem
      }))
    }
  }
  return { committee: trusted, verifySlice, verifySliceBytes: (bytes, expect) => verifySlice(decodeSlice(bytes), expect) }
}

function errorCode (reason: string): SliceErrorCode {
  if (reason.startsWith('finality:')) return SliceErrorCode.NOT_FINAL
  if (reason.startsWith('slice is for chain')) return SliceErrorCode.WRONG_CHAIN
  if (reason.startsWith('header cannot be hashed')) return SliceErrorCode.MALFORMED
  return SliceErrorCode.BAD_LEAVES
}
