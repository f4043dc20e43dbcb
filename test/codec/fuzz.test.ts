/**
 * A short fuzz of every decoder (the long one is `npm run fuzz`): random bytes and mutated
 * valid encodings; decode may only throw CodecErrors, and what it accepts re-encodes to
 * exactly the input. The p2p frame decoder, consensus messages and the client's slice
 * verifier follow the same loop with their own typed errors (test/fuzz/targets.ts). The seed changes per run unless FUZZ_SEED is set; a failure prints it.
 */
import t, { type Test } from 'tap'
import { CodecErrorCode, ConsensusEnvelopeSchema, encode } from '../../src/codec/index.js'
import { decodeMessage } from '../../src/ordering/index.js'
import { WIRE_TYPES } from './arbitraries.js'
import { uint } from '../../src/codec/schema.js'
import type { Writer } from '../../src/codec/wire-io.js'
import { Fuzzer, FuzzFailure, checkInput } from '../fuzz/harness.js'
import { MUTATIONS, Rng, mutateOnce } from '../fuzz/mutate.js'
import { consensusMessageTarget, framesTarget, sliceVerifierTarget } from '../fuzz/targets.js'
import { throwsWithCode } from '../helpers/assert-error.js'

const INPUTS = 80_000
const seed = process.env.FUZZ_SEED !== undefined ? Number(process.env.FUZZ_SEED) : (Date.now() % 0x7fff_ffff)

/** Runs `inputs` steps; on a broken rule fails the test with the seed and returns false. */
function survives (t: Test, fuzzer: Fuzzer, inputs: number): boolean {
  const started = Date.now()
  try {
    for (let i = 0; i < inputs; i++) fuzzer.step()
  } catch (err) {
    if (!(err instanceof FuzzFailure)) throw err
    t.fail(`seed ${seed}: ${err.message}`)
    return false
  }
  t.comment(`${inputs} inputs in ${Date.now() - started} ms`)
  return true
}

t.test(`decoders survive ${INPUTS} fuzzed inputs (seed ${seed})`, (t) => {
  const fuzzer = new Fuzzer(seed)
  if (!survives(t, fuzzer, INPUTS)) return t.end()
  const seenCodes = new Set<string>()
  for (const { name } of WIRE_TYPES) {
    const stats = fuzzer.stats.get(name)!
    const rejected = Object.values(stats.rejected).reduce((a, b) => a + b, 0)
    Object.keys(stats.rejected).forEach((c) => seenCodes.add(c))
    t.equal(stats.accepted + rejected, stats.inputs, `${name}: every input accounted for`)
    // both outcomes must occur, or the fuzz is not reaching the decoder's interesting paths
    t.ok(stats.accepted > 0, `${name}: ${stats.accepted} of ${stats.inputs} inputs accepted`)
    t.ok(rejected > stats.inputs / 2, `${name}: ${rejected} rejected (${JSON.stringify(stats.rejected)})`)
  }
  for (const code of [CodecErrorCode.MALFORMED, CodecErrorCode.WRONG_SHAPE, CodecErrorCode.NON_CANONICAL, CodecErrorCode.UNSUPPORTED_VERSION]) {
    t.ok(seenCodes.has(code), `the fuzz produced ${code}`)
  }
  t.end()
})

const OTHER_INPUTS = 30_000

t.test(`p2p frames, consensus messages and the slice verifier survive ${OTHER_INPUTS} fuzzed inputs (seed ${seed})`, (t) => {
  const fuzzer = new Fuzzer(seed, { targets: [framesTarget, consensusMessageTarget, sliceVerifierTarget] })
  if (!survives(t, fuzzer, OTHER_INPUTS)) return t.end()
  const outcomes = (name: string): Record<string, number> => ({ accepted: fuzzer.stats.get(name)!.accepted, ...fuzzer.stats.get(name)!.rejected })
  t.match(outcomes('P2PFrames'), { accepted: Number, incomplete: Number, P2P_TOO_LARGE: Number, P2P_MALFORMED: Number }, 'frames: whole, cut short, oversized and malformed prefixes all reached')
  t.match(outcomes('ConsensusMessage'), { accepted: Number, CODEC_MALFORMED: Number, CODEC_WRONG_SHAPE: Number }, 'consensus messages: accepted and refused')
  t.match(outcomes('SliceVerifier'), { accepted: 0, SLICE_MALFORMED: Number, SLICE_NOT_FINAL: Number }, 'the verifier refuses every unsigned slice, past the decoder too')
  t.end()
})

t.test('regression (fuzz): a consensus envelope of an unknown kind is a CodecError, not a plain Error', (t) => {
  // found by the ConsensusMessage target: decodeMessage threw `Error: unknown consensus message kind 0`
  throwsWithCode(t, () => decodeMessage(encode(ConsensusEnvelopeSchema, { version: 1, kind: 0, body: new Uint8Array(0) })), CodecErrorCode.WRONG_SHAPE)
  throwsWithCode(t, () => decodeMessage(encode(ConsensusEnvelopeSchema, { version: 1, kind: 200, body: Uint8Array.of(0x90) })), CodecErrorCode.WRONG_SHAPE)
  t.end()
})

t.test('the checker itself catches a broken decoder rule', (t) => {
  // An encoder that disagrees with its decoder: it reads 1 and writes 2 back.
  const disagreeing = { ...uint, name: 'Disagreeing', write: (w: Writer) => uint.write(w, 2) }
  const unstable = { name: 'Unstable', schema: disagreeing, arb: WIRE_TYPES[0]!.arb }
  t.throws(() => checkInput(unstable, Buffer.of(0x01)), FuzzFailure, 'an accepted input that re-encodes differently fails')
  const throwing = { ...unstable, schema: { ...uint, name: 'Throwing', read: () => { throw new TypeError('oops') } } }
  t.throws(() => checkInput(throwing, Buffer.of(0x01)), FuzzFailure, 'a TypeError out of decode fails')
  const fine = { ...unstable, schema: { ...uint, name: 'Fine' } }
  t.equal(checkInput(fine, Buffer.of(0x01)), 'accepted', 'a stable schema passes')
  t.end()
})

t.test('mutations are deterministic per seed and never touch their input', (t) => {
  const input = Uint8Array.from({ length: 40 }, (_, i) => i)
  const a = new Rng(42)
  const b = new Rng(42)
  for (const kind of MUTATIONS) {
    const ma = mutateOnce(a, input, [Uint8Array.of(9, 9, 9)], kind)
    const mb = mutateOnce(b, input, [Uint8Array.of(9, 9, 9)], kind)
    t.same([...ma], [...mb], `${kind} is deterministic`)
    t.not(ma, input, `${kind} returns a new array`)
  }
  t.same([...input], Array.from({ length: 40 }, (_, i) => i), 'the input is unchanged')
  t.notSame([...new Rng(1).bytes(16)], [...new Rng(2).bytes(16)], 'different seeds differ')
  t.end()
})
