/** POST /v1/txs/batch: many encoded txs per request, one result per tx, in order. */
import t from 'tap'
import { encode, TxSchema } from '../../src/codec/index.js'
import { bytes, list } from '../../src/codec/schema.js'
import { bytesToHex } from '../../src/crypto/index.js'
import { AdmissionError, AdmissionErrorCode } from '../../src/mempool/errors.js'
import { FakeBackend, makeTx } from './fake-backend.js'
import { errorOf, startServer } from './helpers.js'

const BatchSchema = list(bytes({}), { max: 4096 })

function postBatch (url: string, body: Uint8Array | string, contentType = 'application/octet-stream'): Promise<Response> {
  return fetch(`${url}/v1/txs/batch`, { method: 'POST', body, headers: { 'content-type': contentType } })
}

t.test('every tx of a batch reaches submitTx; results come back in request order, refusals per tx', async (t) => {
  const backend = new FakeBackend()
  backend.rejectByNonce.set(2, new AdmissionError(AdmissionErrorCode.BAD_SIGNATURE, 'bad signature'))
  const { url } = await startServer(t, backend)
  const txs = [makeTx(1), makeTx(2), makeTx(3)].map((tx) => encode(TxSchema, tx))
  const res = await postBatch(url, encode(BatchSchema, txs))
  t.equal(res.status, 200)
  const { results } = await res.json() as { results: Array<{ hash?: string, status?: string, error?: { code: string } }> }
  t.equal(results.length, 3)
  t.equal(results[0]!.status, 'pending')
  t.equal(results[1]!.error?.code, AdmissionErrorCode.BAD_SIGNATURE, 'the refused tx carries its code')
  t.equal(results[2]!.status, 'pending')
  t.not(results[0]!.hash, results[2]!.hash)
  t.same(backend.submitted.map(bytesToHex).sort(), txs.map(bytesToHex).sort(), 'the exact bytes of each tx')
})

t.test('a full mempool or a failure on one tx is reported for that tx; the others stay acknowledged', async (t) => {
  const backend = new FakeBackend()
  backend.rejectByNonce.set(11, new AdmissionError(AdmissionErrorCode.MEMPOOL_FULL, 'mempool is full', 1))
  backend.rejectByNonce.set(12, new Error('disk on fire') as unknown as AdmissionError)
  const { url } = await startServer(t, backend)
  const res = await postBatch(url, encode(BatchSchema, [makeTx(10), makeTx(11), makeTx(12)].map((tx) => encode(TxSchema, tx))))
  t.equal(res.status, 200, 'the request succeeds as a whole')
  const { results } = await res.json() as { results: Array<{ status?: string, error?: { code: string } }> }
  t.equal(results[0]!.status, 'pending', 'the acknowledged tx is reported as such')
  t.equal(results[1]!.error?.code, AdmissionErrorCode.MEMPOOL_FULL)
  t.ok(results[2]!.error !== undefined, 'an unexpected failure is an error item, not a failed request')
})

t.test('a body that is not a msgpack array of txs is a typed 400', async (t) => {
  const { url, backend } = await startServer(t)
  t.same(await errorOf(await postBatch(url, Uint8Array.of(0xc1, 0x00))), { status: 400, code: AdmissionErrorCode.MALFORMED })
  t.same(await errorOf(await postBatch(url, JSON.stringify({ tx: 'AA==' }), 'application/json')), { status: 400, code: AdmissionErrorCode.MALFORMED })
  t.equal(backend.submitted.length, 0)
})

t.test('a batch may be larger than the single-tx body limit', async (t) => {
  const { url, backend } = await startServer(t, new FakeBackend(), { bodyLimitBytes: 4096 })
  const txs = Array.from({ length: 200 }, (_, i) => encode(TxSchema, makeTx(100 + i)))
  const body = encode(BatchSchema, txs)
  t.ok(body.length > 4096, 'the body is over the per-tx limit')
  const res = await postBatch(url, body)
  t.equal(res.status, 200)
  t.equal(backend.submitted.length, 200)
})
