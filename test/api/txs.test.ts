import t from 'tap'
import { pino } from 'pino'
import { encode, TxSchema } from '../../src/codec/index.js'
import { bytesToHex } from '../../src/crypto/index.js'
import { AdmissionError, AdmissionErrorCode } from '../../src/mempool/errors.js'
import { txToJson } from '../../src/api/index.js'
import { FakeBackend, makeTx } from './fake-backend.js'
import { errorOf, startServer } from './helpers.js'

function post (url: string, body: string | Uint8Array, contentType: string): Promise<Response> {
  return fetch(`${url}/v1/txs`, { method: 'POST', body, headers: { 'content-type': contentType } })
}

t.test('binary, msgpack, base64 JSON and JSON-object txs reach submitTx as identical bytes', async (t) => {
  const { url, backend } = await startServer(t)
  const tx = makeTx(5)
  const expected = encode(TxSchema, tx)
  const replies = [
    await post(url, expected, 'application/octet-stream'),
    await post(url, expected, 'application/msgpack'),
    await post(url, JSON.stringify({ tx: Buffer.from(expected).toString('base64') }), 'application/json'),
    await post(url, JSON.stringify(txToJson(tx)), 'application/json; charset=utf-8')
  ]
  const hashes = new Set<string>()
  for (const res of replies) {
    t.equal(res.status, 202)
    const body = await res.json() as { hash: string, status: string }
    t.equal(body.status, 'pending')
    hashes.add(body.hash)
  }
  t.equal(hashes.size, 1, 'one hash for all four spellings')
  t.equal(backend.submitted.length, 4)
  for (const bytes of backend.submitted) t.equal(bytesToHex(bytes), bytesToHex(expected))
})

t.test('the JSON tx object is exactly the documented shape', async (t) => {
  const { url, backend } = await startServer(t)
  const body = {
    actions: [{ rollupId: 1, payload: Buffer.from('hello').toString('base64') }],
    sender: 'ab'.repeat(32),
    nonce: 1,
    expiry: 1700000000000,
    signature: 'cd'.repeat(64)
  }
  const res = await post(url, JSON.stringify(body), 'application/json')
  t.equal(res.status, 202)
  const tx = { version: 1 as const, actions: [{ rollupId: 1, payload: Buffer.from('hello') }], sender: Buffer.alloc(32, 0xab), nonce: 1, expiry: 1700000000000, signature: Buffer.alloc(64, 0xcd) }
  t.equal(bytesToHex(backend.submitted[0]!), bytesToHex(encode(TxSchema, tx)))
})

t.test('admission errors map to HTTP statuses, with Retry-After when retryable', async (t) => {
  const { url, backend } = await startServer(t)
  const cases: Array<[AdmissionError, number, string | null]> = [
    [new AdmissionError(AdmissionErrorCode.MALFORMED, 'x'), 400, null],
    [new AdmissionError(AdmissionErrorCode.BAD_SIGNATURE, 'x'), 400, null],
    [new AdmissionError(AdmissionErrorCode.EXPIRED, 'x'), 400, null],
    [new AdmissionError(AdmissionErrorCode.EXPIRY_TOO_FAR, 'x'), 400, null],
    [new AdmissionError(AdmissionErrorCode.UNKNOWN_ROLLUP, 'x'), 400, null],
    [new AdmissionError(AdmissionErrorCode.TOO_LARGE, 'x'), 413, null],
    [new AdmissionError(AdmissionErrorCode.DUPLICATE, 'x'), 409, null],
    [new AdmissionError(AdmissionErrorCode.LANE_FULL, 'x', 7), 429, '7'],
    [new AdmissionError(AdmissionErrorCode.MEMPOOL_FULL, 'x', 2.2), 503, '3'],
    [new AdmissionError(AdmissionErrorCode.MEMPOOL_FULL, 'x'), 503, '1'],
    [new AdmissionError(AdmissionErrorCode.OVERLOADED, 'x', 4), 503, '4']
  ]
  for (const [i, [err, status, retryAfter]] of cases.entries()) {
    const nonce = 100 + i
    backend.rejectByNonce.set(nonce, err)
    const res = await post(url, encode(TxSchema, makeTx(nonce)), 'application/octet-stream')
    t.same(await errorOf(res), { status, code: err.code }, err.code)
    t.equal(res.headers.get('retry-after'), retryAfter, `${err.code} Retry-After`)
  }
})

t.test('a body over bodyLimitBytes is 413 TX_TOO_LARGE', async (t) => {
  const { url, backend } = await startServer(t, new FakeBackend(), { bodyLimitBytes: 1024 })
  const big = encode(TxSchema, makeTx(1, 1, new Uint8Array(4096)))
  t.same(await errorOf(await post(url, big, 'application/octet-stream')), { status: 413, code: 'TX_TOO_LARGE' })
  t.same(await errorOf(await post(url, JSON.stringify({ tx: Buffer.from(big).toString('base64') }), 'application/json')), { status: 413, code: 'TX_TOO_LARGE' })
  t.equal(backend.submitted.length, 0)
  t.equal((await post(url, encode(TxSchema, makeTx(2)), 'application/octet-stream')).status, 202, 'a small tx still passes')
})

t.test('malformed bodies are 400 TX_MALFORMED', async (t) => {
  const { url, backend } = await startServer(t)
  const good = txToJson(makeTx(1))
  const bodies: Array<[string, string]> = [
    ['{"tx": ', 'application/json'],
    ['', 'application/json'],
    ['null', 'application/json'],
    ['[1,2]', 'application/json'],
    ['{"tx": "not base64!"}', 'application/json'],
    ['{"tx": 12}', 'application/json'],
    [JSON.stringify({ ...good, sender: 'zz'.repeat(32) }), 'application/json'],
    [JSON.stringify({ ...good, sender: 'ab' }), 'application/json'],
    [JSON.stringify({ ...good, signature: undefined }), 'application/json'],
    [JSON.stringify({ ...good, nonce: -1 }), 'application/json'],
    [JSON.stringify({ ...good, nonce: 1.5 }), 'application/json'],
    [JSON.stringify({ ...good, expiry: '5' }), 'application/json'],
    [JSON.stringify({ ...good, actions: {} }), 'application/json'],
    [JSON.stringify({ ...good, actions: [{ rollupId: 1, payload: '***' }] }), 'application/json'],
    [JSON.stringify({ ...good, actions: [7] }), 'application/json']
  ]
  for (const [body, type] of bodies) {
    t.same(await errorOf(await post(url, body, type)), { status: 400, code: 'TX_MALFORMED' }, body.slice(0, 40))
  }
  t.equal(backend.submitted.length, 0, 'JSON shape errors never reach the backend')
  // Bytes that are not a Tx are the backend's to refuse.
  t.same(await errorOf(await post(url, new Uint8Array([1, 2, 3]), 'application/octet-stream')), { status: 400, code: 'TX_MALFORMED' })
  t.same(await errorOf(await post(url, JSON.stringify({ actions: [], sender: good.sender, nonce: 1, expiry: 1, signature: good.signature }), 'application/json')), { status: 400, code: 'TX_MALFORMED' }, 'no actions')
})

t.test('unsupported content types are 415 UNSUPPORTED_MEDIA_TYPE', async (t) => {
  const { url } = await startServer(t)
  for (const type of ['text/plain', 'application/xml', 'multipart/form-data; boundary=x']) {
    t.same(await errorOf(await post(url, 'hello', type)), { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' }, type)
  }
})

t.test('an unexpected backend exception is 500 INTERNAL, logged, and the server keeps serving', async (t) => {
  const lines: string[] = []
  const logger = pino({ level: 'error' }, { write: (line: string) => { lines.push(line) } })
  const { url, backend } = await startServer(t, new FakeBackend(), { logger })
  backend.crashOnNonce = 3
  const res = await post(url, encode(TxSchema, makeTx(3)), 'application/octet-stream')
  t.same(await res.clone().json(), { error: { code: 'INTERNAL', message: 'internal error' } }, 'no internals leak')
  t.same(await errorOf(res), { status: 500, code: 'INTERNAL' })
  t.equal(lines.length, 1)
  t.match(JSON.parse(lines[0]!), { module: 'api', err: { message: 'backend bug' } })
  t.same(await (await fetch(`${url}/healthz`)).json(), { ok: true })
})

t.test('tx status', async (t) => {
  const { url } = await startServer(t)
  const submitted = await (await post(url, encode(TxSchema, makeTx(9)), 'application/octet-stream')).json() as { hash: string }
  const res = await fetch(`${url}/v1/txs/${submitted.hash}`)
  t.equal(res.status, 200)
  t.same(await res.json(), { hash: submitted.hash, status: 'pending' })
  const upper = await fetch(`${url}/v1/txs/${submitted.hash.toUpperCase()}`)
  t.same(await upper.json(), { hash: submitted.hash, status: 'pending' }, 'upper-case hex is accepted, the reply is lower-case')
  t.same(await errorOf(await fetch(`${url}/v1/txs/${'00'.repeat(32)}`)), { status: 404, code: 'NOT_FOUND' })
  t.same(await errorOf(await fetch(`${url}/v1/txs/abc`)), { status: 400, code: 'BAD_REQUEST' })
  t.same(await errorOf(await fetch(`${url}/v1/txs/${'zz'.repeat(32)}`)), { status: 400, code: 'BAD_REQUEST' })
  t.same(await errorOf(await fetch(`${url}/v1/txs/${'00'.repeat(33)}`)), { status: 400, code: 'BAD_REQUEST' })
})

t.test('unknown routes are 404 NOT_FOUND in the error envelope', async (t) => {
  const { url } = await startServer(t)
  t.same(await errorOf(await fetch(`${url}/v2/nothing`)), { status: 404, code: 'NOT_FOUND' })
})
