/**
 * Property tests: for every wire type, decode(encode(x)) equals x and encode(decode(b))
 * gives back exactly b, with integers over all of 0..2^53-1.
 */
import assert from 'node:assert/strict'
import t from 'tap'
import fc from 'fast-check'
import { decode, encode, VoteBodySchema } from '../../src/codec/index.js'
import * as wireTypes from '../../src/codec/wire-types.js'
import { BOUNDARY_UINTS, WIRE_TYPES, arbUint, comparable } from './arbitraries.js'
import { EXAMPLES } from './fixtures.js'

const RUNS = 250

function hex (bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')
}

/** Every byte array inside a decoded value, to check their class and that they do not alias each other oddly. */
function byteArrays (value: unknown, out: Uint8Array[] = []): Uint8Array[] {
  if (value instanceof Uint8Array) out.push(value)
  else if (Array.isArray(value)) for (const v of value) byteArrays(v, out)
  else if (typeof value === 'object' && value !== null) for (const v of Object.values(value)) byteArrays(v, out)
  return out
}

t.test('every schema of wire-types.ts has an arbitrary and a fixture', (t) => {
  const schemas = Object.entries(wireTypes).filter(([exported]) => exported.endsWith('Schema'))
  t.ok(schemas.length >= 29, `${schemas.length} schemas exported`)
  for (const [exported, schema] of schemas) {
    const name = (schema as { name: string }).name
    t.equal(`${name}Schema`, exported, `${exported} is named ${name}`)
    t.ok(WIRE_TYPES.some((w) => w.schema === schema && w.name === name), `${name} has an arbitrary`)
    t.ok(EXAMPLES.some((e) => e.schema === schema && e.name === name), `${name} has a fixture`)
  }
  t.equal(new Set(WIRE_TYPES.map((w) => w.name)).size, WIRE_TYPES.length, 'no wire type is listed twice')
  t.end()
})

for (const { name, schema, arb } of WIRE_TYPES) {
  t.test(`${name}: decode(encode(x)) deep-equals x, encode(decode(b)) is b`, (t) => {
    fc.assert(fc.property(arb, (value) => {
      const bytes = encode(schema, value)
      assert.ok(bytes instanceof Uint8Array)
      // Hold a copy: later encodes must not overwrite bytes handed out earlier.
      const copy = Buffer.from(bytes)
      const decoded = decode(schema, bytes)
      assert.deepStrictEqual(comparable(decoded), comparable(value))
      for (const b of byteArrays(decoded)) assert.ok(Buffer.isBuffer(b), 'decoded bytes of a Buffer input are Buffers')
      const again = encode(schema, decoded)
      assert.equal(hex(again), hex(bytes))
      assert.equal(hex(bytes), copy.toString('hex'), 'encoded bytes changed after further encodes')
      // The same bytes as a plain Uint8Array (not a Buffer) decode to the same value.
      assert.deepStrictEqual(comparable(decode(schema, new Uint8Array(copy))), comparable(value))
    }), { numRuns: RUNS })
    t.pass(`${RUNS} values of ${name} round-trip`)
    t.end()
  })
}

t.test('integers keep their value and use the spelling the schema documents', (t) => {
  const vote = (height: number) => ({ version: 1 as const, height, round: 0, batchHash: new Uint8Array(32) })
  // [height, msgpack spelling of the height]
  const cases: Array<[number, string]> = [
    [0, '00'], [0x7f, '7f'], [0x80, 'cc80'], [0xff, 'ccff'], [0x100, 'cd0100'], [0xffff, 'cdffff'],
    [0x1_0000, 'ce00010000'], [2 ** 32 - 1, 'ceffffffff'],
    // above 2^32-1 the encoder writes int64 (0xd3), never float64 or uint64
    [2 ** 32, 'd30000000100000000'], [2 ** 32 + 1, 'd30000000100000001'],
    [Number.MAX_SAFE_INTEGER, 'd3001fffffffffffff']
  ]
  for (const [height, spelling] of cases) {
    const bytes = encode(VoteBodySchema, vote(height))
    t.equal(hex(bytes), `9401${spelling}00c420${'00'.repeat(32)}`, `${height} is spelled ${spelling}`)
    t.equal(decode(VoteBodySchema, bytes).height, height, `${height} decodes to itself`)
  }
  t.end()
})

t.test('every integer around 2^32 and at the ends of the range round-trips', (t) => {
  const values = [...BOUNDARY_UINTS]
  for (let d = -64; d <= 64; d++) values.push(2 ** 32 + d)
  for (let d = 0; d < 64; d++) values.push(Number.MAX_SAFE_INTEGER - d)
  let checked = 0
  for (const height of values) {
    const value = { version: 1 as const, height, round: height, batchHash: new Uint8Array(32).fill(7) }
    const decoded = decode(VoteBodySchema, encode(VoteBodySchema, value))
    if (decoded.height !== height || decoded.round !== height || typeof decoded.height !== 'number') {
      t.fail(`${height} came back as ${String(decoded.height)} (${typeof decoded.height})`)
    } else {
      checked++
    }
  }
  t.equal(checked, values.length, `${values.length} boundary integers round-trip as numbers`)
  t.end()
})

t.test('the integer arbitrary really covers the whole range', (t) => {
  const sample = fc.sample(arbUint, { numRuns: 2000, seed: 7 })
  t.ok(sample.every((n) => Number.isSafeInteger(n) && n >= 0), 'all in 0..2^53-1')
  t.ok(sample.some((n) => n < 0x80), 'some fixints')
  t.ok(sample.some((n) => n >= 2 ** 32 - 300 && n < 2 ** 32), 'some just below 2^32')
  t.ok(sample.some((n) => n >= 2 ** 32 && n <= 2 ** 32 + 300), 'some just at/above 2^32')
  t.ok(sample.some((n) => n > 2 ** 52), 'some above 2^52')
  t.end()
})

t.test('encoding is deterministic and independent of key order', (t) => {
  const a = { version: 1 as const, height: 9, round: 2, batchHash: new Uint8Array(32).fill(1) }
  const b = { batchHash: new Uint8Array(32).fill(1), round: 2, height: 9, version: 1 as const }
  t.equal(hex(encode(VoteBodySchema, a)), hex(encode(VoteBodySchema, b)))
  t.equal(hex(encode(VoteBodySchema, a)), hex(encode(VoteBodySchema, a)))
  t.end()
})
