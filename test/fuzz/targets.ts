/**
 * Fuzz targets beyond the codec's schemas: the p2p frame decoder, the consensus message
 * decoder (envelope, then the body of its kind), and the client's slice verifier. Each
 * may only fail with its own typed error; what it accepts must re-encode to its input.
 */
import fc from 'fast-check'
import { encode, SliceSchema } from '../../src/codec/index.js'
import { CodecError, CodecErrorCode } from '../../src/codec/index.js'
import { createVerifier, SliceErrorCode, SliceVerificationError } from '../../src/client/index.js'
import { generateKeyPair } from '../../src/crypto/index.js'
import { decodeMessage, encodeMessage, type ConsensusMessage } from '../../src/ordering/index.js'
import { encodeFrame, FrameDecoder } from '../../src/p2p/framing.js'
import { P2PError, P2PErrorCode } from '../../src/p2p/errors.js'
import { arbCertificate, arbProposal, arbSlice, arbTimeout, arbVote } from '../codec/arbitraries.js'
import { FuzzFailure, toHex, WIRE_TARGETS, type FuzzTarget } from './harness.js'

const CODEC_CODES = new Set<string>(Object.values(CodecErrorCode))

function same (a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b)
}

/** Largest frame the fuzzed decoder takes: small, so TOO_LARGE is reached often. */
const FRAME_LIMIT = 4096
/** How an input is cut into stream chunks: from its own bytes, so a failure replays exactly. */
const CUTS = [1, 2, 3, 5, 8, 64, 1000]

export const framesTarget: FuzzTarget = {
  name: 'P2PFrames',
  corpus: (seed, count) => fc.sample(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 4 }), { seed, numRuns: count })
    .map((bodies) => Buffer.concat(bodies.map((b) => encodeFrame(b)))),
  check: (input) => {
    const decoder = new FrameDecoder(FRAME_LIMIT)
    const frames: Uint8Array[] = []
    let outcome = 'accepted'
    try {
      let offset = 0
      for (let i = 0; offset < input.length; i++) {
        const size = CUTS[(i + input.length) % CUTS.length]!
        for (const frame of decoder.push(input.subarray(offset, offset + size))) frames.push(new Uint8Array(frame))
        offset += size
      }
    } catch (err) {
      if (!(err instanceof P2PError) || (err.code !== P2PErrorCode.MALFORMED && err.code !== P2PErrorCode.TOO_LARGE)) {
        throw new FuzzFailure('P2PFrames', input, 'the frame decoder threw something other than P2PError MALFORMED/TOO_LARGE', err)
      }
      outcome = err.code
    }
    // Whatever came out is exactly a prefix of the input, framed again.
    const again = Buffer.concat(frames.map((f) => encodeFrame(f)))
    if (!same(again, input.subarray(0, again.length))) throw new FuzzFailure('P2PFrames', input, `frames ${frames.map(toHex).join(',')} are not a prefix of the input`)
    if (outcome === 'accepted' && again.length !== input.length) outcome = 'incomplete'
    if (frames.some((f) => f.length > FRAME_LIMIT)) throw new FuzzFailure('P2PFrames', input, 'a frame above the limit came out')
    return outcome
  }
}

const arbConsensusMessage: fc.Arbitrary<ConsensusMessage> = fc.oneof(
  arbProposal.map((proposal) => ({ kind: 'proposal' as const, proposal })),
  arbVote.map((vote) => ({ kind: 'vote' as const, vote })),
  arbTimeout.map((timeout) => ({ kind: 'timeout' as const, timeout })),
  arbCertificate.map((certificate) => ({ kind: 'certificate' as const, certificate }))
)

export const consensusMessageTarget: FuzzTarget = {
  name: 'ConsensusMessage',
  corpus: (seed, count) => fc.sample(arbConsensusMessage, { seed, numRuns: count }).map(encodeMessage),
  check: (input) => {
    let message: ConsensusMessage
    try {
      message = decodeMessage(input)
    } catch (err) {
      if (!(err instanceof CodecError) || !CODEC_CODES.has(err.code)) throw new FuzzFailure('ConsensusMessage', input, 'decodeMessage threw something other than a CodecError', err)
      return err.code
    }
    if (!same(encodeMessage(message), input)) throw new FuzzFailure('ConsensusMessage', input, 'accepted, but re-encodes differently')
    return 'accepted'
  }
}

const SLICE_CODES = new Set<string>(Object.values(SliceErrorCode))
const VERIFIER_CHAIN = 'fuzz'
const verifier = createVerifier({ chainId: VERIFIER_CHAIN, committeeKeys: Array.from({ length: 4 }, () => generateKeyPair().publicKey) })

/** No fuzzed slice carries valid committee signatures: every input must be refused, with a code. */
export const sliceVerifierTarget: FuzzTarget = {
  name: 'SliceVerifier',
  // Slices of the verifier's chain, so inputs get past the chain id check to the proofs.
  corpus: (seed, count) => fc.sample(arbSlice, { seed, numRuns: count }).map((s) => encode(SliceSchema, {
    ...s,
    header: { ...s.header, chainId: VERIFIER_CHAIN },
    finality: { ...s.finality, headers: s.finality.headers.map((h) => ({ ...h, chainId: VERIFIER_CHAIN })) }
  })),
  check: (input) => {
    try {
      verifier.verifySliceBytes(input)
    } catch (err) {
      if (!(err instanceof SliceVerificationError) || !SLICE_CODES.has(err.code)) throw new FuzzFailure('SliceVerifier', input, 'the verifier threw something other than a SliceVerificationError', err)
      return err.code
    }
    throw new FuzzFailure('SliceVerifier', input, 'a slice without valid signatures was verified')
  }
}

/** Every synchronous target: the codec's wire types, then the decoders above. */
export const ALL_TARGETS: readonly FuzzTarget[] = [...WIRE_TARGETS, framesTarget, consensusMessageTarget, sliceVerifierTarget]
