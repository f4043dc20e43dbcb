import t from 'tap'
import fc from 'fast-check'
import { encode, TxSchema, type Tx } from '../../src/codec/index.js'
import { base64ToBytes, bytesToBase64, txBytesFromJsonBody, txFromJson, txToJson } from '../../src/api/index.js'

const bytesOf = (length: number): fc.Arbitrary<Uint8Array> => fc.uint8Array({ minLength: length, maxLength: length })
const uint = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER })

const txArb: fc.Arbitrary<Tx> = fc.record({
  version: fc.constant(1 as const),
  actions: fc.array(fc.record({ rollupId: uint, payload: fc.uint8Array({ maxLength: 64 }) }), { minLength: 1, maxLength: 4 }),
  sender: bytesOf(32),
  nonce: uint,
  expiry: uint,
  signature: bytesOf(64)
})

t.test('txFromJson(txToJson(tx)) encodes to the same bytes, through JSON text', async (t) => {
  fc.assert(fc.property(txArb, (tx) => {
    const json = JSON.parse(JSON.stringify(txToJson(tx))) as unknown
    const expected = Buffer.from(encode(TxSchema, tx))
    return expected.equals(encode(TxSchema, txFromJson(json))) && expected.equals(txBytesFromJsonBody(json)) &&
      expected.equals(txBytesFromJsonBody({ tx: expected.toString('base64') }))
  }))
  t.pass('round trips')
})

t.test('base64 is strict and round-trips', async (t) => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => Buffer.from(base64ToBytes(bytesToBase64(bytes))!).equals(bytes)))
  for (const bad of ['abc', 'ab=c', 'a-b_', '====', 'YQ', 'YQ==\n']) t.equal(base64ToBytes(bad), null, JSON.stringify(bad))
  t.same(base64ToBytes(''), new Uint8Array(0))
})

t.test('wrong JSON shapes are TX_MALFORMED ApiErrors', async (t) => {
  for (const bad of [null, 1, 'x', [], {}, { actions: 'x' }]) {
    t.throws(() => txFromJson(bad), { name: 'ApiError', code: 'TX_MALFORMED', statusCode: 400 }, JSON.stringify(bad))
  }
})
