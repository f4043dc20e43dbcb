/**
 * Bad request bodies against a real node: oversized (declared and streamed), malformed
 * JSON, malformed msgpack, wrong content types and bad path/query parameters. Each gets
 * its typed error and a count in seq_api_rejected_total; a burst of the largest bodies
 * leaves the node's memory within a bound, and it keeps finalising.
 */
import t from 'tap'
import { request } from 'node:http'
import { encode, TxSchema } from '../../src/codec/index.js'
import { signTx } from '../../src/mempool/index.js'
import { Ed25519Signer, generateKeyPair } from '../../src/crypto/index.js'
import { mapConcurrent, waitCommitted } from '../helpers/node-process.js'
import { memoryOf, MiB, rejectionDelta, rejections, startAbuseNode } from './helpers.js'

const MAX_TX_BYTES = 16 * 1024
/** what the node allows a body: 1.5 x maxTxBytes + 4 KiB */
const BODY_LIMIT = Math.ceil(MAX_TX_BYTES * 1.5) + 4096

interface Case {
  name: string
  method?: string
  path?: string
  contentType?: string
  body?: string | Uint8Array
  headers?: Record<string, string>
  status: number
  code: string
}

/** One request over node:http, so headers and bodies can be anything fetch would refuse. */
async function send (port: number, c: Case): Promise<{ status: number, code: string, raw: string }> {
  return await new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { ...c.headers }
    if (c.contentType !== undefined) headers['content-type'] = c.contentType
    if (c.body !== undefined && headers['transfer-encoding'] === undefined) headers['content-length'] = Buffer.byteLength(c.body)
    const req = request({ host: '127.0.0.1', port, method: c.method ?? 'POST', path: c.path ?? '/v1/txs', headers }, (res) => {
      let raw = ''
      res.setEncoding('utf8')
      res.on('data', (d: string) => { raw += d })
      res.on('end', () => {
        let code = ''
        try { code = (JSON.parse(raw) as { error?: { code?: string } }).error?.code ?? '' } catch {}
        resolve({ status: res.statusCode ?? 0, code, raw })
      })
    })
    req.on('error', reject)
    if (c.body !== undefined) req.write(c.body)
    req.end()
  })
}

/** the chain id startAbuseNode gives its node */
const CHAIN_ID = 'abuse-1'

t.test('bad bodies and parameters: typed errors, counted, bounded memory, node keeps finalising', async (t) => {
  const node = await startAbuseNode(t, { limits: { maxTxBytes: MAX_TX_BYTES, maxPayloadBytes: 8 * 1024 } })
  const signer = new Ed25519Signer(generateKeyPair().seed)
  let nonce = 0
  const validTx = (payloadBytes = 32): Uint8Array => encode(TxSchema, signTx(CHAIN_ID, {
    actions: [{ rollupId: 1, payload: new Uint8Array(payloadBytes).fill(7) }], nonce: nonce++, expiry: Date.now() + 60_000
  }, signer))
  const good = validTx()
  const tooBig = new Uint8Array(BODY_LIMIT + 1).fill(0x41)
  const deep = '['.repeat(12_000) + ']'.repeat(12_000)

  const cases: Case[] = [
    // oversized
    { name: 'binary body over the limit', contentType: 'application/octet-stream', body: tooBig, status: 413, code: 'TX_TOO_LARGE' },
    { name: 'JSON body over the limit', contentType: 'application/json', body: JSON.stringify({ tx: Buffer.from(tooBig).toString('base64') }), status: 413, code: 'TX_TOO_LARGE' },
    { name: 'declared length over the limit, no body sent', contentType: 'application/octet-stream', headers: { 'content-length': String(100 * MiB) }, status: 413, code: 'TX_TOO_LARGE' },
    { name: 'chunked body over the limit', contentType: 'application/octet-stream', headers: { 'transfer-encoding': 'chunked' }, body: tooBig, status: 413, code: 'TX_TOO_LARGE' },
    { name: 'tx within the body limit but over maxTxBytes', contentType: 'application/octet-stream', body: validTx(MAX_TX_BYTES), status: 413, code: 'TX_TOO_LARGE' },
    // malformed JSON
    { name: 'truncated JSON', contentType: 'application/json', body: '{"tx": "', status: 400, code: 'TX_MALFORMED' },
    { name: 'empty JSON body', contentType: 'application/json', body: '', status: 400, code: 'TX_MALFORMED' },
    { name: 'JSON null', contentType: 'application/json', body: 'null', status: 400, code: 'TX_MALFORMED' },
    { name: 'JSON of the wrong shape', contentType: 'application/json', body: '{"actions": 5}', status: 400, code: 'TX_MALFORMED' },
    { name: 'prototype pollution attempt', contentType: 'application/json', body: '{"__proto__": {"polluted": 1}, "tx": "AA=="}', status: 400, code: 'TX_MALFORMED' },
    { name: 'constructor.prototype pollution attempt', contentType: 'application/json', body: '{"constructor": {"prototype": {"polluted": 1}}}', status: 400, code: 'TX_MALFORMED' },
    { name: 'JSON nested 12k deep', contentType: 'application/json', body: deep, status: 400, code: 'TX_MALFORMED' },
    { name: 'invalid UTF-8 in JSON', contentType: 'application/json', body: Uint8Array.of(0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d), status: 400, code: 'TX_MALFORMED' },
    { name: 'huge JSON number', contentType: 'application/json', body: JSON.stringify({ actions: [{ rollupId: 1, payload: '' }], sender: '00'.repeat(32), nonce: 1e308, expiry: 1, signature: '00'.repeat(64) }), status: 400, code: 'TX_MALFORMED' },
    // malformed binary
    { name: 'random bytes as msgpack', contentType: 'application/msgpack', body: Uint8Array.of(0xc1, 0xff, 0x00, 0x13), status: 400, code: 'TX_MALFORMED' },
    { name: 'truncated tx', contentType: 'application/octet-stream', body: good.subarray(0, good.length - 5), status: 400, code: 'TX_MALFORMED' },
    { name: 'tx with trailing bytes', contentType: 'application/octet-stream', body: Buffer.concat([good, Uint8Array.of(0)]), status: 400, code: 'TX_MALFORMED' },
    { name: 'msgpack map bomb header (2^32-1 entries)', contentType: 'application/msgpack', body: Uint8Array.of(0xdf, 0xff, 0xff, 0xff, 0xff), status: 400, code: 'TX_MALFORMED' },
    { name: 'msgpack bin32 claiming 4 GiB', contentType: 'application/msgpack', body: Uint8Array.of(0x96, 0x01, 0xc6, 0xff, 0xff, 0xff, 0xff), status: 400, code: 'TX_MALFORMED' },
    { name: 'empty binary body', contentType: 'application/octet-stream', body: '', status: 400, code: 'TX_MALFORMED' },
    { name: 'no body at all', contentType: 'application/octet-stream', status: 400, code: 'TX_MALFORMED' },
    // content types
    { name: 'text/plain', contentType: 'text/plain', body: 'hello', status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
    { name: 'form encoded', contentType: 'application/x-www-form-urlencoded', body: 'a=b', status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
    { name: 'no content type with a body', body: 'hello', status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
    { name: 'JSON declared UTF-16 (read as UTF-8, then refused by shape)', contentType: 'application/json; charset=utf-16', body: '{}', status: 400, code: 'TX_MALFORMED' },
    // parameters
    { name: 'non-numeric height', method: 'GET', path: '/v1/blocks/abc', status: 400, code: 'BAD_REQUEST' },
    { name: 'height over 2^53', method: 'GET', path: '/v1/blocks/99999999999999999999', status: 400, code: 'BAD_REQUEST' },
    { name: 'short tx hash', method: 'GET', path: '/v1/txs/abcd', status: 400, code: 'BAD_REQUEST' },
    { name: 'slices from > to', method: 'GET', path: '/v1/rollups/1/slices?from=5&to=1', status: 400, code: 'BAD_REQUEST' },
    { name: 'slices from repeated', method: 'GET', path: '/v1/rollups/1/slices?from=1&from=2', status: 400, code: 'BAD_REQUEST' },
    { name: 'odd-length query key', method: 'GET', path: '/v1/rollups/1/query/abc', status: 400, code: 'BAD_REQUEST' },
    { name: 'unknown rollup', method: 'GET', path: '/v1/rollups/nope/latest', status: 404, code: 'UNKNOWN_ROLLUP' },
    { name: 'percent-encoding garbage', method: 'GET', path: '/v1/rollups/%zz/latest', status: 400, code: 'BAD_REQUEST' },
    { name: 'unknown route', method: 'GET', path: '/v1/../../etc/passwd', status: 404, code: 'NOT_FOUND' }
  ]

  const before = await rejections(node.url)
  const expected: Record<string, number> = {}
  for (const c of cases) {
    const reply = await send(node.port, c)
    t.same({ status: reply.status, code: reply.code }, { status: c.status, code: c.code }, `${c.name}: ${c.status} ${c.code}`)
    expected[c.code] = (expected[c.code] ?? 0) + 1
  }
  t.same(rejectionDelta(before, await rejections(node.url)), expected, 'every refusal counted once under its code')

  // A burst of the largest refused bodies, 32 at a time: memory stays bounded.
  const calm = await memoryOf(node.url)
  const burst = 600
  const started = performance.now()
  const statuses = await mapConcurrent(Array.from({ length: burst }, (_, i) => i), 32, async (i) => {
    const c = i % 2 === 0
      ? { name: 'big', contentType: 'application/octet-stream', body: tooBig, status: 413, code: 'TX_TOO_LARGE' }
      : { name: 'deep', contentType: 'application/json', body: deep, status: 400, code: 'TX_MALFORMED' }
    return (await send(node.port, c)).status
  })
  const peak = await memoryOf(node.url)
  t.same(new Set(statuses), new Set([413, 400]), `${burst} bad bodies refused in ${Math.round(performance.now() - started)} ms`)
  const growth = peak.rssBytes - calm.rssBytes
  t.comment(`RSS ${(calm.rssBytes / MiB).toFixed(0)} -> ${(peak.rssBytes / MiB).toFixed(0)} MiB, heap used ${(calm.heapUsedBytes / MiB).toFixed(0)} -> ${(peak.heapUsedBytes / MiB).toFixed(0)} MiB`)
  t.ok(growth < 150 * MiB, `RSS grew ${(growth / MiB).toFixed(1)} MiB under a burst of ${burst} bad bodies (bound 150 MiB)`)

  // Still up, still ordering.
  const res = await fetch(`${node.url}/v1/txs`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: validTx() })
  t.equal(res.status, 202, 'a valid tx is still admitted')
  const { hash } = await res.json() as { hash: string }
  const { missing } = await waitCommitted(node.url, [hash])
  t.equal(missing.size, 0, 'and becomes final')
})
