/**
 * The early lane check of `POST /v1/txs` (issue #12): a rollup named in `x-rollup-id` that is
 * over its lane rate is refused in onRequest, before the body is read or parsed; admission
 * checks the header against the tx. A real Mempool stands behind the API.
 */
import t from 'tap'
import { AdmissionErrorCode, Mempool, defaultMempoolOptions, type MempoolGenesis, type MempoolOptions } from '../../src/mempool/index.js'
import type { SubmitResult } from '../../src/api/index.js'
import { SequencerApiError, SequencerClient } from '../../src/client/index.js'
import { makeTx, TEST_CHAIN } from '../helpers/txs.js'
import { FakeMempoolStore } from '../mempool/fake-store.js'
import { FakeBackend } from './fake-backend.js'
import { errorOf, startServer } from './helpers.js'

const genesis: MempoolGenesis = {
  chainId: TEST_CHAIN,
  rollups: [{ id: 1, name: 'a', weight: 1 }, { id: 2, name: 'b', weight: 1 }],
  limits: { maxPayloadBytes: 1024, maxActionsPerTx: 4, maxTxBytes: 4096, maxExpiryWindowMs: 60_000 }
}

/** The fake's reads, with submissions going to a real mempool (by default 2 tx/s per rollup, no refill during the test). */
class MempoolBackend extends FakeBackend {
  readonly refused: Array<Record<string, string>> = []
  readonly mempool: Mempool
  constructor (options: Partial<MempoolOptions> = { laneRateTxPerSec: 4, laneBurstSeconds: 1 }) {
    super()
    const frozen = Date.now() + 30_000 // inside the expiry window of every makeTx of the next 30 s
    this.mempool = new Mempool(genesis, new FakeMempoolStore(), { ...defaultMempoolOptions, ...options }, {
      admitted: { inc: () => {} },
      rejected: { inc: () => {} },
      laneRefused: { inc: (labels) => { this.refused.push(labels) } }
    }, () => frozen)
  }

  override async submitTx (bytes: Uint8Array, claimedRollup?: number): Promise<SubmitResult> {
    this.submitted.push(bytes)
    const { hashHex } = await this.mempool.admit(bytes, claimedRollup)
    return { hash: hashHex, status: 'pending' }
  }

  laneGate (rollupId: number): Error | null {
    return this.mempool.laneGate(rollupId)
  }

  overloadGate (): Error | null {
    return this.mempool.overloadGate()
  }
}

function post (url: string, body: string | Uint8Array, headers: Record<string, string>): Promise<Response> {
  return fetch(`${url}/v1/txs`, { method: 'POST', body, headers })
}

t.test('a rollup over its lane rate is refused from its header before the body is read; the other rollup gets in', async (t) => {
  const backend = new MempoolBackend()
  const { url } = await startServer(t, backend)
  const binary = { 'content-type': 'application/octet-stream' }
  for (let i = 0; i < 2; i++) t.equal((await post(url, makeTx({ rollups: [1] }).bytes, { ...binary, 'x-rollup-id': '1' })).status, 202, `a: tx ${i} of its 2`)
  const submitted = backend.submitted.length
  // text/plain would get 415 and garbage 400 if anything looked at the body
  const early = await post(url, 'not a tx at all', { 'content-type': 'text/plain', 'x-rollup-id': '1' })
  t.equal(early.headers.get('retry-after'), '1')
  const body = await early.clone().json() as { error: { message: string } }
  t.same(await errorOf(early), { status: 429, code: AdmissionErrorCode.LANE_FULL })
  t.match(body.error.message, /rollup a is over its lane rate: 2 tx\/s at this member/)
  t.equal(backend.submitted.length, submitted, 'the backend never saw the body')
  t.same(backend.refused, [{ rollup: 'a', code: AdmissionErrorCode.LANE_FULL, stage: 'header' }], 'counted for rollup a at the header stage')
  t.equal((await post(url, makeTx({ rollups: [2] }).bytes, { ...binary, 'x-rollup-id': '2' })).status, 202, 'b is admitted')

  const noHeader = await post(url, makeTx({ rollups: [1] }).bytes, binary)
  t.same(await errorOf(noHeader), { status: 429, code: AdmissionErrorCode.LANE_FULL }, 'without the header: refused after the decode')
  t.same(backend.refused.at(-1), { rollup: 'a', code: AdmissionErrorCode.LANE_FULL, stage: 'body' })
})

t.test('a header that does not match the tx, or is not a rollup id, is a typed 400', async (t) => {
  const backend = new MempoolBackend()
  const { url } = await startServer(t, backend)
  const binary = { 'content-type': 'application/octet-stream' }
  t.same(await errorOf(await post(url, makeTx({ rollups: [1] }).bytes, { ...binary, 'x-rollup-id': '2' })), { status: 400, code: AdmissionErrorCode.MALFORMED }, 'a tx of rollup 1 claimed as rollup 2')
  t.same(await errorOf(await post(url, makeTx({ rollups: [1] }).bytes, { ...binary, 'x-rollup-id': 'one' })), { status: 400, code: AdmissionErrorCode.MALFORMED }, 'not a number')
  t.equal(backend.mempool.stats().txs, 0, 'nothing admitted')
})

t.test('the batch route takes the header too: refused whole before its body, or each tx checked against it', async (t) => {
  const backend = new MempoolBackend()
  const { url } = await startServer(t, backend)
  const { encode } = await import('../../src/codec/index.js')
  const { bytes, list } = await import('../../src/codec/schema.js')
  const batchOf = (txs: Uint8Array[]): Uint8Array => encode(list(bytes({}), { max: 16 }), txs)
  const res = await fetch(`${url}/v1/txs/batch`, { method: 'POST', body: batchOf([makeTx({ rollups: [1] }).bytes, makeTx({ rollups: [2] }).bytes]), headers: { 'content-type': 'application/octet-stream', 'x-rollup-id': '1' } })
  t.equal(res.status, 200)
  const { results } = await res.json() as { results: Array<{ status?: string, error?: { code: string } }> }
  t.equal(results[0]!.status, 'pending', 'the tx of rollup 1')
  t.equal(results[1]!.error?.code, AdmissionErrorCode.MALFORMED, 'the tx of rollup 2 under a header naming 1')
  await fetch(`${url}/v1/txs/batch`, { method: 'POST', body: batchOf([makeTx({ rollups: [1] }).bytes]), headers: { 'content-type': 'application/octet-stream', 'x-rollup-id': '1' } })
  const early = await fetch(`${url}/v1/txs/batch`, { method: 'POST', body: 'junk', headers: { 'content-type': 'text/plain', 'x-rollup-id': '1' } })
  t.same(await errorOf(early), { status: 429, code: AdmissionErrorCode.LANE_FULL }, 'a spent, the batch is refused from the header')
})

t.test('the SDK names the rollup: its over-rate submissions are refused at the header stage, retryable', async (t) => {
  const backend = new MempoolBackend()
  const { url } = await startServer(t, backend)
  const client = new SequencerClient({ url })
  await client.submit(makeTx({ rollups: [1] }).bytes)
  await client.submit(makeTx({ rollups: [1] }).bytes)
  const err = await client.submit(makeTx({ rollups: [1] }).bytes).catch((e: unknown) => e)
  t.ok(err instanceof SequencerApiError && err.code === AdmissionErrorCode.LANE_FULL && err.retryable, 'a typed, retryable refusal')
  t.same(backend.refused, [{ rollup: 'a', code: AdmissionErrorCode.LANE_FULL, stage: 'header' }], 'refused from the header the SDK set')
})

t.test('a request naming no rollup is refused 503 OVERLOADED before its body when every rollup would be', async (t) => {
  const backend = new MempoolBackend({ overloadMinHeldTxs: 4 }) // nothing ever becomes final: the floor is the bound
  const { url } = await startServer(t, backend)
  const binary = { 'content-type': 'application/octet-stream' }
  for (let i = 0; i < 4; i++) t.equal((await post(url, makeTx({ rollups: [1] }).bytes, binary)).status, 202, `a: tx ${i}`)
  t.equal((await post(url, makeTx({ rollups: [2] }).bytes, binary)).status, 202, 'over the bound of 4, but b held nothing: its tx was read and admitted')
  t.equal((await post(url, makeTx({ rollups: [2] }).bytes, binary)).status, 202, 'b still under its share')
  const submitted = backend.submitted.length
  const early = await fetch(`${url}/v1/txs/batch`, { method: 'POST', body: 'junk', headers: { 'content-type': 'text/plain' } })
  t.same(await errorOf(early), { status: 503, code: AdmissionErrorCode.OVERLOADED }, 'a batch naming no rollup: refused whole, body unread')
  t.ok(Number(early.headers.get('retry-after')) >= 1, 'with a Retry-After')
  t.same(await errorOf(await post(url, 'junk', { 'content-type': 'text/plain' })), { status: 503, code: AdmissionErrorCode.OVERLOADED }, 'and a single tx')
  t.equal(backend.submitted.length, submitted, 'the backend never saw either body')
})
