/**
 * A short fuzz of every decoder (the long one is `npm run fuzz`): random bytes and mutated
 * valid encodings; decode may only throw CodecErrors, and what it accepts re-encodes to
 * exactly the input. The seed changes per run unless FUZZ_SEED is set; a failure prints it.
 */
import t from 'tap'
import { CodecErrorCode } from '../../src/codec/index.js'
import { WIRE_TYPES } from './arbitraries.js'
import { Fuzzer, FuzzFailure, checkInput } from '../fuzz/harness.js'
import { MUTATIONS, Rng, mutateOnce } from '../fuzz/mutate.js'

const INPUTS = 80_000
const seed = process.env.FUZZ_SEED !== undefined ? Number(process.env.FUZZ_SEED) : (Date.now() % 0x7fff_ffff)

t.test(`decoders survive ${INPUTS} fuzzed inputs (seed ${seed})`, (t) => {
  const fuzzer = new Fuzzer(seed)
  const started = Date.now()
  try {
    for (let i = 0; i < INPUTS; i++) fuzzer.step()
  } catch (err) {
    if (!(err instanceof FuzzFailure)) throw err
    t.fail(`seed ${seed}: ${err.message}`)
    return t.end()
  }
  t.comment(`${INPUTS} inputs in ${Date.now() - started} ms`)
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

t.test('the checker itself catches a broken decoder rule', (t) => {
  // decode() compares its own re-encoding, so to see the checker fire the encoder must be
  // unstable: the first prepare (inside decode) writes 1, the next one (re-encode) writes 2.
  let calls = 0
  const unstable = { name: 'Unstable', schema: { name: 'Unstable', check: (v: unknown) => v, prepare: () => ++calls }, arb: WIRE_TYPES[0]!.arb }
  t.throws(() => checkInput(unstable, Buffer.of(0x01)), FuzzFailure, 'an accepted input that re-encodes differently fails')
  const throwing = { ...unstable, schema: { name: 'Throwing', check: () => { throw new TypeError('oops') }, prepare: () => 0 } }
  t.throws(() => checkInput(throwing, Buffer.of(0x01)), FuzzFailure, 'a TypeError out of decode fails')
  const fine = { ...unstable, schema: { name: 'Fine', check: (v: unknown) => v, prepare: (v: unknown) => v } }
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
