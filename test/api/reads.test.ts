import t from 'tap'
import { BatchSchema, CommitProofSchema, decode, encode, SliceSchema, type BatchHeader, type CommitProof } from '../../src/codec/index.js'
import { bytesToHex } from '../../src/crypto/index.js'
import type { BatchHeaderJson, BatchJson, RollupLatestJson, SliceJson, SliceRangeJson } from '../../src/api/index.js'
// not re-exported by src/api/index.ts
import type { CommitProofJson } from '../../src/api/json-views.js'
import { FakeBackend, METRICS_CONTENT_TYPE, ROLLUPS, hashAt, roundAt } from './fake-backend.js'
import { bytesOf, errorOf, startServer } from './helpers.js'

const MSGPACK = { accept: 'application/msgpack' }

/** The JSON view of a header of the fake chain, written out field by field. */
function headerJson (h: BatchHeader): BatchHeaderJson {
  return {
    version: 1,
    chainId: 'test-chain',
    height: h.height,
    round: roundAt(h.height),
    parentHash: bytesToHex(hashAt(h.height - 1)),
    proposer: 0,
    timestamp: 1_700_000_000_000 + h.height,
    payloadRoot: bytesToHex(h.payloadRoot),
    namespaces: ROLLUPS.map((r) => ({ rollupId: r.id, count: 1 })),
    chunkDigests: h.chunkDigests.map(bytesToHex),
    txCount: 2
  }
}

/** The JSON view of a commit proof: its headers, and the QC of the last one with hex bytes. */
function finalityJson (proof: CommitProof): CommitProofJson {
  const last = proof.headers[proof.headers.length - 1]!
  return {
    headers: proof.headers.map(headerJson),
    certificate: {
      height: last.height,
      round: roundAt(last.height),
      batchHash: bytesToHex(hashAt(last.height)),
      signers: '07',
      signatures: proof.certificate.signatures.map(bytesToHex)
    }
  }
}

t.test('healthz, status, rollups and metrics', async (t) => {
  const { url, backend } = await startServer(t)
  t.same(await (await fetch(`${url}/healthz`)).json(), { ok: true })
  t.same(await (await fetch(`${url}/v1/status`)).json(), backend.status())
  t.same(await (await fetch(`${url}/v1/rollups`)).json(), ROLLUPS)
  const metrics = await fetch(`${url}/metrics`)
  t.equal(metrics.status, 200)
  t.equal(metrics.headers.get('content-type'), METRICS_CONTENT_TYPE)
  t.equal(await metrics.text(), await backend.metricsText())
})

t.test('blocks as JSON and msgpack', async (t) => {
  const { url, backend } = await startServer(t)
  const stored = (await backend.getBatch(4))!
  const res = await fetch(`${url}/v1/blocks/4`)
  t.equal(res.status, 200)
  const json = await res.json() as BatchJson
  t.equal(json.height, 4)
  t.equal(json.hash, bytesToHex(stored.hash))
  t.same(json.header, {
    version: 1,
    chainId: 'test-chain',
    height: 4,
    round: 6,
    parentHash: bytesToHex(stored.batch.header.parentHash),
    proposer: 0,
    timestamp: stored.batch.header.timestamp,
    payloadRoot: bytesToHex(stored.batch.header.payloadRoot),
    namespaces: ROLLUPS.map((r) => ({ rollupId: r.id, count: 1 })),
    chunkDigests: stored.batch.header.chunkDigests.map(bytesToHex),
    txCount: 2
  })
  t.equal(json.header.parentHash, bytesToHex(hashAt(3)), 'the header links to height 3')
  // height 5 (round 7) is the child of height 4 (round 6): a one-header proof
  t.same(json.finality, {
    headers: [headerJson(stored.finality.headers[0]!)],
    certificate: {
      height: 5,
      round: 7,
      batchHash: bytesToHex(hashAt(5)),
      signers: '07',
      signatures: stored.finality.certificate.signatures.map(bytesToHex)
    }
  })
  t.equal(json.finality.headers[0]!.height, 5)
  t.equal(json.finality.headers[0]!.parentHash, json.hash, "the proof's first header is the block's child")
  t.equal(json.finality.certificate.batchHash, bytesToHex(hashAt(5)), 'the QC is for the last proof header')
  t.notOk('certificate' in json, 'no top-level certificate any more')
  t.same(json.chunks, [{ origin: 0, seq: 4, lane: 1, txCount: 1 }, { origin: 1, seq: 4, lane: 7, txCount: 1 }])
  const tx0 = stored.batch.chunks[0]!.txs[0]!
  t.same(json.txs[0], {
    actions: [{ rollupId: 1, payload: Buffer.from(tx0.actions[0]!.payload).toString('base64') }],
    sender: bytesToHex(tx0.sender),
    nonce: tx0.nonce,
    expiry: tx0.expiry,
    signature: bytesToHex(tx0.signature)
  })
  t.equal(json.txs.length, 2)

  const raw = await fetch(`${url}/v1/blocks/4`, { headers: MSGPACK })
  t.equal(raw.headers.get('content-type'), 'application/msgpack')
  const bytes = await bytesOf(raw)
  t.equal(bytesToHex(bytes), bytesToHex(encode(BatchSchema, stored.batch)))
  t.same(decode(BatchSchema, bytes).header.height, 4)

  // height 2 (round 3): its child is from round 5 (a timeout in round 4), so the proof goes
  // on to the grandchild (round 6), certified; two headers.
  const stored2 = (await backend.getBatch(2))!
  const json2 = await (await fetch(`${url}/v1/blocks/2`)).json() as BatchJson
  t.equal(json2.header.round, 3)
  t.same(json2.finality.headers.map((h) => [h.height, h.round]), [[3, 5], [4, 6]], 'a two-header proof')
  t.equal(json2.finality.headers[0]!.parentHash, json2.hash, 'linked to the block')
  t.equal(json2.finality.headers[1]!.parentHash, bytesToHex(hashAt(3)), 'linked to each other')
  t.same(json2.finality, finalityJson(stored2.finality))
  t.same(json2.finality.certificate, { height: 4, round: 6, batchHash: bytesToHex(hashAt(4)), signers: '07', signatures: stored2.finality.certificate.signatures.map(bytesToHex) })

  // the last final block: its proof reaches above the final height (descendants need not be final)
  const jsonLast = await (await fetch(`${url}/v1/blocks/9`)).json() as BatchJson
  t.same(jsonLast.finality.headers.map((h) => h.height), [10])
  t.same(jsonLast.finality, finalityJson((await backend.getBatch(9))!.finality))

  t.same(await errorOf(await fetch(`${url}/v1/blocks/10`)), { status: 404, code: 'NOT_FOUND' })
  for (const bad of ['-1', '1.5', 'abc', '01', '99999999999999999999']) {
    t.same(await errorOf(await fetch(`${url}/v1/blocks/${bad}`)), { status: 400, code: 'BAD_REQUEST' }, bad)
  }
})

t.test('one slice as JSON and msgpack, by id or name', async (t) => {
  const { url, backend } = await startServer(t)
  const found = (await backend.getSlice(7, 5))!
  const expected = encode(SliceSchema, found.slice)

  for (const id of ['7', 'beta']) {
    const res = await fetch(`${url}/v1/rollups/${id}/slices/5`)
    t.equal(res.status, 200)
    const json = await res.json() as SliceJson
    t.equal(json.rollupId, 7)
    t.equal(json.height, 5)
    t.equal(json.header.height, 5)
    t.same(json.finality, finalityJson(found.slice.finality), 'the commit proof of height 5')
    t.same(json.finality.headers.map((h) => [h.height, h.round]), [[6, 9], [7, 10]], 'two headers: height 6 comes after a timeout')
    t.equal(json.finality.headers[0]!.parentHash, bytesToHex(hashAt(5)))
    t.equal(json.finality.certificate.batchHash, bytesToHex(found.slice.finality.certificate.batchHash))
    t.notOk('certificate' in json, 'no top-level certificate any more')
    t.same(json.txs, found.leaves.map((l) => ({
      txHash: bytesToHex(l.txHash),
      actionIndex: l.actionIndex,
      actionCount: l.actionCount,
      sender: bytesToHex(l.sender),
      payload: Buffer.from(l.payload).toString('base64')
    })))
    t.equal(json.txs.length, 2)
    t.same(json.proof, { start: 0, end: 2, nodes: found.slice.proof.nodes.map(bytesToHex), leafHash: null })
    t.equal(json.encoded, Buffer.from(expected).toString('base64'))
  }

  const raw = await fetch(`${url}/v1/rollups/beta/slices/5`, { headers: { accept: 'application/json;q=0.5, application/msgpack' } })
  t.equal(raw.headers.get('content-type'), 'application/msgpack')
  const decoded = decode(SliceSchema, await bytesOf(raw))
  t.same(decoded, decode(SliceSchema, expected))
  t.equal(bytesToHex(encode(SliceSchema, decoded)), bytesToHex(expected))
  t.equal(decoded.finality.headers.length, 2, 'the msgpack slice carries the commit proof')
  t.equal(bytesToHex(encode(CommitProofSchema, decoded.finality)), bytesToHex(encode(CommitProofSchema, found.slice.finality)), 'exactly the one the backend has')
  t.same(decoded.finality.headers.map((h) => [h.height, h.round]), [[6, 9], [7, 10]])
  t.same(decoded.finality.certificate.height, 7)
  t.notOk('certificate' in decoded, 'the wire slice has no certificate field')
  const base64 = (await (await fetch(`${url}/v1/rollups/7/slices/5`)).json() as SliceJson).encoded
  const fromJson = decode(SliceSchema, new Uint8Array(Buffer.from(base64, 'base64'))).finality
  t.equal(bytesToHex(encode(CommitProofSchema, fromJson)), bytesToHex(encode(CommitProofSchema, decoded.finality)), "the JSON view's encoded slice has the same proof")

  const empty = await (await fetch(`${url}/v1/rollups/1/slices/3`)).json() as SliceJson
  t.same(empty.txs, [], 'an empty slice is served too')
  t.match(empty.proof.leafHash, /^[0-9a-f]{96}$/, 'absence proof leaf hash')

  t.same(await errorOf(await fetch(`${url}/v1/rollups/1/slices/10`)), { status: 404, code: 'NOT_FOUND' }, 'not final yet')
  t.same(await errorOf(await fetch(`${url}/v1/rollups/nope/slices/1`)), { status: 404, code: 'UNKNOWN_ROLLUP' })
  t.same(await errorOf(await fetch(`${url}/v1/rollups/2/slices/1`)), { status: 404, code: 'UNKNOWN_ROLLUP' })
  t.same(await errorOf(await fetch(`${url}/v1/rollups/1/slices/x`)), { status: 400, code: 'BAD_REQUEST' })
})

t.test('slice ranges are clamped to maxRangeHeights and the final height', async (t) => {
  const { url } = await startServer(t, new FakeBackend({ finalHeight: 30 }), { maxRangeHeights: 8 })
  const range = async (query: string): Promise<SliceRangeJson> => {
    const res = await fetch(`${url}/v1/rollups/alpha/slices?${query}`)
    t.equal(res.status, 200, query)
    return await res.json() as SliceRangeJson
  }
  const heights = (r: SliceRangeJson): number[] => r.slices.map((s) => s.height)

  let r = await range('from=2&to=4')
  t.same(heights(r), [2, 3, 4])
  t.equal(r.next, 5)
  t.ok(r.slices.every((s) => s.rollupId === 1))

  r = await range('from=0&to=100')
  t.same(heights(r), [0, 1, 2, 3, 4, 5, 6, 7], 'clamped to 8 heights')
  t.equal(r.next, 8)

  r = await range('from=8')
  t.same(heights(r), [8, 9, 10, 11, 12, 13, 14, 15], 'to defaults to a full page')
  t.equal(r.next, 16)

  r = await range('from=27&to=40')
  t.same(heights(r), [27, 28, 29, 30], 'clamped to the final height')
  t.equal(r.next, 31)

  r = await range('from=31&to=35')
  t.same(heights(r), [], 'nothing final yet')
  t.equal(r.next, 31)

  r = await range('from=5&to=5')
  t.same(heights(r), [5])

  for (const bad of ['from=5&to=4', 'to=4', 'from=-1', 'from=a&to=3', 'from=1&to=2.5']) {
    t.same(await errorOf(await fetch(`${url}/v1/rollups/alpha/slices?${bad}`)), { status: 400, code: 'BAD_REQUEST' }, bad)
  }
  t.same(await errorOf(await fetch(`${url}/v1/rollups/gamma/slices?from=1`)), { status: 404, code: 'UNKNOWN_ROLLUP' })
})

t.test('latest heights of a rollup', async (t) => {
  const { url, backend } = await startServer(t)
  t.same(await (await fetch(`${url}/v1/rollups/alpha/latest`)).json() as RollupLatestJson, { rollupId: 1, name: 'alpha', latestHeight: 9, finalHeight: 9 })
  backend.advance()
  t.same(await (await fetch(`${url}/v1/rollups/7/latest`)).json() as RollupLatestJson, { rollupId: 7, name: 'beta', latestHeight: -1, finalHeight: 10 })
  t.same(await errorOf(await fetch(`${url}/v1/rollups/99/latest`)), { status: 404, code: 'UNKNOWN_ROLLUP' })
})
