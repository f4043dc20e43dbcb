/**
 * SequencerClient against a scripted fetch: error replies become SequencerApiError with
 * the node's code and Retry-After, submitWithRetry honours Retry-After a bounded number
 * of times, and waitFinal follows statuses to committed or rejected.
 */
import t from 'tap'
import {
  ApiFailureCode, generateSigningKey, buildTx, parseRetryAfter, SequencerApiError, SequencerClient, TxRejectedError, WAIT_TIMEOUT, type FetchLike
} from '../../src/client/index.js'
import { makeChain } from './fixtures.js'

interface Call { url: string, init: RequestInit | undefined }

/** A fetch that answers from a script, one reply per call (the last one repeats). */
function scripted (replies: Array<() => Response>): { fetch: FetchLike, calls: Call[] } {
  const calls: Call[] = []
  const fetch: FetchLike = async (url, init) => {
    calls.push({ url, init })
    return replies[Math.min(calls.length - 1, replies.length - 1)]!()
  }
  return { fetch, calls }
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}): () => Response =>
  () => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } })
const laneFull = (retryAfter: string): () => Response =>
  json(429, { error: { code: 'TX_LANE_FULL', message: 'rollup 1 is over its share' } }, { 'retry-after': retryAfter })
const accepted = json(202, { hash: 'ab'.repeat(32), status: 'pending' })

const tx = buildTx({ chainId: 'c', actions: [{ rollupId: 1, payload: new Uint8Array([1]) }], signer: generateSigningKey() })

t.test('submit posts the encoded tx; errors carry code, status and Retry-After', async (t) => {
  const { fetch, calls } = scripted([accepted, laneFull('7'), json(400, { error: { code: 'TX_BAD_SIGNATURE', message: 'bad' } }), () => new Response('oops', { status: 500 })])
  const client = new SequencerClient({ url: 'http://node.test/', fetch })
  t.same(await client.submit(tx), { hash: 'ab'.repeat(32), status: 'pending' })
  t.equal(calls[0]!.url, 'http://node.test/v1/txs')
  t.equal(calls[0]!.init?.method, 'POST')
  t.equal((calls[0]!.init?.headers as Record<string, string>)['content-type'], 'application/octet-stream')
  t.same(calls[0]!.init?.body, tx.bytes, 'the body is the encoded tx')

  const lane = await client.submit(tx.bytes).catch((e: unknown) => e)
  t.ok(lane instanceof SequencerApiError)
  t.match(lane, { code: 'TX_LANE_FULL', status: 429, retryAfterSeconds: 7, retryable: true, message: 'rollup 1 is over its share' })
  t.match(await client.submit(tx).catch((e: unknown) => e), { code: 'TX_BAD_SIGNATURE', status: 400, retryable: false, retryAfterSeconds: undefined })
  t.match(await client.submit(tx).catch((e: unknown) => e), { code: ApiFailureCode.BAD_RESPONSE, status: 500 })

  const down = new SequencerClient({ url: 'http://node.test', fetch: async () => { throw new TypeError('fetch failed') } })
  t.match(await down.submit(tx).catch((e: unknown) => e), { code: ApiFailureCode.NETWORK_ERROR, status: 0 })
})

t.test('submitWithRetry waits Retry-After, a bounded number of times', async (t) => {
  const ok = scripted([laneFull('0'), json(503, { error: { code: 'TX_MEMPOOL_FULL', message: 'full' } }, { 'retry-after': '0' }), accepted])
  t.same(await new SequencerClient({ url: 'http://n', fetch: ok.fetch }).submitWithRetry(tx), { hash: 'ab'.repeat(32), status: 'pending' })
  t.equal(ok.calls.length, 3, 'two retries, then accepted')

  const full = scripted([laneFull('0')])
  const err = await new SequencerClient({ url: 'http://n', fetch: full.fetch }).submitWithRetry(tx, { maxRetries: 2 }).catch((e: unknown) => e)
  t.match(err, { code: 'TX_LANE_FULL', status: 429 })
  t.equal(full.calls.length, 3, 'maxRetries 2: three attempts, then the last error')

  const bad = scripted([json(409, { error: { code: 'TX_DUPLICATE', message: 'dup' } })])
  t.match(await new SequencerClient({ url: 'http://n', fetch: bad.fetch }).submitWithRetry(tx).catch((e: unknown) => e), { code: 'TX_DUPLICATE' })
  t.equal(bad.calls.length, 1, 'other errors are not retried')

  // The waits are read off the timers the client arms, not off the wall clock.
  const slow = scripted([laneFull('1'), accepted])
  const waited = await timersArmedBy(async () => await new SequencerClient({ url: 'http://n', fetch: slow.fetch }).submitWithRetry(tx))
  t.same(waited, [1000], 'Retry-After: 1 waits a second')
  const capped = scripted([laneFull('60'), accepted])
  const cappedWaits = await timersArmedBy(async () => await new SequencerClient({ url: 'http://n', fetch: capped.fetch }).submitWithRetry(tx, { maxDelayMs: 30 }))
  t.same(cappedWaits, [30], 'maxDelayMs caps a long Retry-After')
})

/** The delays of the timers armed while `fn` runs (the client's waits), in order. */
async function timersArmedBy (fn: () => Promise<unknown>): Promise<number[]> {
  const delays: number[] = []
  const real = globalThis.setTimeout
  globalThis.setTimeout = ((handler: () => void, ms?: number) => { delays.push(ms ?? 0); return real(handler, ms) }) as typeof setTimeout
  try {
    await fn()
  } finally {
    globalThis.setTimeout = real
  }
  return delays
}

t.test('parseRetryAfter reads seconds and HTTP dates', async (t) => {
  const now = Date.parse('2026-01-01T00:00:00Z')
  t.equal(parseRetryAfter('3', now), 3)
  t.equal(parseRetryAfter('Thu, 01 Jan 2026 00:00:05 GMT', now), 5)
  t.equal(parseRetryAfter('Wed, 31 Dec 2025 00:00:00 GMT', now), 0, 'a past date means now')
  t.equal(parseRetryAfter('soon', now), undefined)
  t.equal(parseRetryAfter(null, now), undefined)
})

t.test('waitFinal follows the status to committed, tolerating a restarting node', async (t) => {
  const hash = tx.hash
  const { fetch, calls } = scripted([
    json(404, { error: { code: 'NOT_FOUND', message: 'unknown tx' } }),
    json(200, { hash, status: 'pending' }),
    json(503, { error: { code: 'INTERNAL', message: 'starting' } }),
    () => { throw new TypeError('connection refused') },
    json(200, { hash, status: 'proposed', height: 4 }),
    json(200, { hash, status: 'committed', height: 4, index: 2 })
  ])
  const client = new SequencerClient({ url: 'http://n', fetch })
  t.same(await client.waitFinal(hash, { maxPollMs: 5 }), { height: 4, index: 2 })
  t.equal(calls.length, 6)
  t.equal(calls[0]!.url, `http://n/v1/txs/${hash}`)

  const rejected = scripted([json(200, { hash, status: 'rejected', code: 'TX_EXPIRED', message: 'expired before it was ordered' })])
  const err = await new SequencerClient({ url: 'http://n', fetch: rejected.fetch }).waitFinal(hash).catch((e: unknown) => e)
  t.ok(err instanceof TxRejectedError)
  t.match(err, { code: 'TX_EXPIRED', hash, message: 'expired before it was ordered' })

  const never = scripted([json(200, { hash, status: 'pending' })])
  t.match(await new SequencerClient({ url: 'http://n', fetch: never.fetch }).waitFinal(hash, { timeoutMs: 120 }).catch((e: unknown) => e), { code: WAIT_TIMEOUT, lastStatus: 'pending' })

  const broken = scripted([json(400, { error: { code: 'BAD_REQUEST', message: 'no' } })])
  t.match(await new SequencerClient({ url: 'http://n', fetch: broken.fetch }).waitFinal(hash).catch((e: unknown) => e), { code: 'BAD_REQUEST' }, 'a 4xx ends the wait')
  await t.rejects(client.waitFinal('xyz'), /64 lowercase hex/)
})

t.test('slice methods need the trust root', async (t) => {
  const client = new SequencerClient({ url: 'http://n', fetch: scripted([accepted]).fetch })
  await t.rejects(client.getSlice(1, 0), { code: 'NO_COMMITTEE' })
  t.throws(() => client.subscribeSlices({ rollup: 1, from: 0, onSlice: () => {} }), { code: 'NO_COMMITTEE' })
  t.throws(() => new SequencerClient({ url: 'ftp://x' }), /http/)
})

t.test('getSlices pages through the range and verifies each slice', async (t) => {
  const chain = makeChain(12)
  const committee = { chainId: chain.chainId, committeeKeys: chain.committeeKeys }
  const slices = chain.slices.get(1)!
  let shift = 0
  const urls: string[] = []
  // A server that answers at most 4 heights per request, clamped to final height 9.
  const fetch: FetchLike = async (url) => {
    urls.push(url)
    const q = new URL(url).searchParams
    const from = Number(q.get('from'))
    const to = Math.min(Number(q.get('to')), from + 3, 9)
    const page = []
    for (let h = from; h <= to; h++) page.push({ height: h, encoded: Buffer.from(slices[h + shift]!).toString('base64') })
    return new Response(JSON.stringify({ slices: page, next: to + 1 }), { status: 200 })
  }
  const client = new SequencerClient({ url: 'http://n', fetch, committee })
  const got = await client.getSlices(1, 2, 50)
  t.same(got.map((s) => s.height), [2, 3, 4, 5, 6, 7, 8, 9], 'heights 2..9: clamped to the final height')
  t.same(urls.map((u) => new URL(u).searchParams.get('from')), ['2', '6', '10'], 'asked again from the next height')
  t.equal(new URL(urls[0]!).pathname, '/v1/rollups/1/slices')
  shift = 1
  await t.rejects(client.getSlices(1, 0, 5), { code: 'SLICE_WRONG_HEIGHT' }, 'a page with the wrong heights is refused')
})
