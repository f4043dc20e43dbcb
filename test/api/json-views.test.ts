import assert from 'node:assert/strict'
import t from 'tap'
import fc from 'fast-check'
import { encode, TxSchema, type Tx } from '../../src/codec/index.js'
import {
  base64ToBytes, batchToJson, bytesToBase64, certificateToJson, commitProofToJson, headerToJson, sliceToJson,
  txBytesFromJsonBody, txFromJson, txToJson
} from '../../src/api/index.js'
import { arbCommitProof } from '../codec/arbitraries.js'
import { FakeBackend } from './fake-backend.js'

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

t.test('a commit proof as JSON: every header as a header view, and the certificate view', async (t) => {
  const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
  fc.assert(fc.property(arbCommitProof, (proof) => {
    const json = JSON.parse(JSON.stringify(commitProofToJson(proof))) as ReturnType<typeof commitProofToJson>
    assert.deepEqual(Object.keys(json), ['headers', 'certificate'])
    assert.deepEqual(json.headers, proof.headers.map(headerToJson))
    assert.deepEqual(json.certificate, certificateToJson(proof.certificate))
    assert.equal(json.certificate.batchHash, hex(proof.certificate.batchHash))
    assert.deepEqual(json.certificate.signatures, proof.certificate.signatures.map(hex))
    assert.ok(json.headers.every((h, i) => h.parentHash === hex(proof.headers[i]!.parentHash)))
  }), { numRuns: 50 })
  t.pass('50 commit proofs as JSON')

  const backend = new FakeBackend()
  const stored = (await backend.getBatch(2))!
  const slice = (await backend.getSlice(1, 2))!
  t.same(batchToJson(stored).finality, commitProofToJson(stored.finality), 'a block view carries its finality')
  t.same(sliceToJson(slice).finality, commitProofToJson(slice.slice.finality), 'a slice view carries its finality')
  t.equal(sliceToJson(slice).finality.headers.length, 2)
  t.notOk('certificate' in batchToJson(stored))
  t.notOk('certificate' in sliceToJson(slice))
})
