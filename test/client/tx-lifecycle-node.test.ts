/**
 * The tx lifecycle against a real node process: submitAndWait proves a tx final (its
 * slices verified against the genesis committee); a tx that expires before the node
 * packs it (a short expiry, a node that coalesces past it and its grace) is reported dropped with
 * reason `expired` by the status route, the long poll and the tx stream; and the bounds
 * of both answer with their typed refusals.
 */
import t from 'tap'
import { readFile } from 'node:fs/promises'
import WebSocket from 'ws'
import {
  committeeFromGenesis, createTxBuilder, generateSigningKey, SequencerClient, TxRejectedError
} from '../../src/client/index.js'
import { EXPIRY_GRACE_MS } from '../../src/batch/index.js'
import { makeNodeHome, patchJsonFile, startNodeProcess } from '../helpers/node-process.js'

const DOOMED_EXPIRY_MS = 1000
/** packing waits past the doomed tx's expiry and the grace a batch still counts it in (batch/payload.ts) */
const PACK_DELAY_MS = DOOMED_EXPIRY_MS + EXPIRY_GRACE_MS + 1500

async function openTxStream (t: { teardown: (fn: () => unknown) => void }, url: string): Promise<{ ws: WebSocket, messages: Array<Record<string, unknown>>, closed: Promise<{ code: number, reason: string }> }> {
  const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/v1/txs/stream`)
  t.teardown(() => { ws.terminate() })
  const messages: Array<Record<string, unknown>> = []
  ws.on('message', (data) => { messages.push(JSON.parse(String(data)) as Record<string, unknown>) })
  const closed = new Promise<{ code: number, reason: string }>((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: String(reason) })))
  await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); ws.once('close', resolve) })
  return { ws, messages, closed }
}

async function until (condition: () => boolean, what: () => string, timeoutMs = 20_000): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; !condition(); await new Promise((resolve) => setTimeout(resolve, 10))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what()}`)
  }
}

t.test('final with proof, dropped with a reason, and the bounds of waiting', async (t) => {
  const home = await makeNodeHome(t, { chainId: 'lifecycle-e2e' })
  const config = JSON.parse(await readFile(home.configFile, 'utf8')) as { api: Record<string, unknown> }
  await patchJsonFile(home.configFile, {
    api: { ...config.api, maxTxWaiters: 1, maxTxStreams: 1, maxWatchedPerTxStream: 2 },
    consensus: { chunkDelayMs: PACK_DELAY_MS }
  })
  const node = await startNodeProcess(t, home.configFile)
  const committee = committeeFromGenesis(await readFile(home.genesisFile, 'utf8'))
  const client = new SequencerClient({ url: node.url, committee, WebSocket })
  const builder = createTxBuilder({ chainId: committee.chainId, signer: generateSigningKey() })
  const payload = (text: string): Uint8Array => new TextEncoder().encode(text)

  const good = builder.bundle([{ rollupId: 1, payload: payload('to-1') }, { rollupId: 2, payload: payload('to-2') }])
  const doomed = builder.single(2, payload('late'), { expiryMs: DOOMED_EXPIRY_MS })
  // the tx stream watches both before they exist
  const stream = await openTxStream(t, node.url)
  stream.ws.send(JSON.stringify({ watch: [good.hash, doomed.hash] }))
  await until(() => stream.messages.length >= 2, () => `the first statuses: ${JSON.stringify(stream.messages)}`)
  t.same(stream.messages.map((m) => m.status), ['unknown', 'unknown'], 'not submitted yet: unknown, and watched')

  const [final, dropped] = await Promise.allSettled([client.submitAndWait(good), client.submitAndWait(doomed)])
  // ---- final, proven ----
  t.equal(final.status, 'fulfilled', 'submitAndWait resolved for the good tx')
  if (final.status === 'fulfilled') {
    t.same(final.value.slices.map((s) => s.rollupId), [1, 2], 'with the verified slice of each rollup it touches')
    t.match(await client.txStatus(good.hash), { status: 'committed', height: final.value.height, index: final.value.index }, 'where the status route says')
  }
  // ---- dropped, with its reason ----
  t.equal(dropped.status, 'rejected')
  if (dropped.status === 'rejected') {
    t.ok(dropped.reason instanceof TxRejectedError, 'a TxRejectedError')
    t.match(dropped.reason, { code: 'TX_EXPIRED', reason: 'expired', hash: doomed.hash }, 'TX_EXPIRED, reason expired')
  }
  t.match(await client.txStatus(doomed.hash), { status: 'rejected', code: 'TX_EXPIRED', reason: 'expired' }, 'GET /v1/txs/:hash says the same')
  t.match(await (await fetch(`${node.url}/v1/txs/${doomed.hash}/wait?until=final&timeout=5`)).json(), { status: 'rejected', reason: 'expired' }, 'and the long poll, at once')
  await until(() => stream.messages.filter((m) => m.status === 'committed' || m.status === 'rejected').length >= 2, () => `the stream to settle both: ${JSON.stringify(stream.messages)}`)
  const byHash = (hash: string): unknown[] => stream.messages.filter((m) => m.hash === hash).map((m) => m.status)
  t.match(byHash(good.hash), ['unknown', 'pending', /proposed|committed/], 'the stream: unknown, pending, ... then final')
  t.equal(byHash(good.hash).at(-1), 'committed')
  t.same(byHash(doomed.hash), ['unknown', 'pending', 'rejected'], 'the stream: unknown, pending, dropped')
  t.match(stream.messages.find((m) => m.hash === doomed.hash && m.status === 'rejected'), { kind: 'status', code: 'TX_EXPIRED', reason: 'expired' })

  // ---- bounds: one waiter, one tx stream of two hashes ----
  const waiting = builder.single(1, payload('held'))
  await client.submit(waiting)
  const held = fetch(`${node.url}/v1/txs/${waiting.hash}/wait?until=final&timeout=25`)
  let refused: Response | null = null
  for (const deadline = Date.now() + PACK_DELAY_MS - 500; refused === null && Date.now() < deadline;) {
    const res = await fetch(`${node.url}/v1/txs/${waiting.hash}/wait?until=final&timeout=0`)
    if (res.status === 503) refused = res
    else await res.body?.cancel()
  }
  t.ok(refused !== null, 'a second waiter while the first waits: refused')
  t.equal(refused?.headers.get('retry-after'), '1', 'with Retry-After')
  t.match(await refused?.json(), { error: { code: 'TOO_MANY_WAITERS' } })
  t.match(await (await held).json(), { status: 'committed' }, 'the held waiter gets the final status')

  stream.ws.send(JSON.stringify({ watch: [good.hash, waiting.hash, doomed.hash].map((h) => h.replace(/^./, (c) => c === 'f' ? 'e' : 'f')) }))
  await until(() => stream.messages.some((m) => m.kind === 'refused'), () => 'a refusal of the third watch')
  t.match(stream.messages.find((m) => m.kind === 'refused'), { code: 'TOO_MANY_WATCHED', hashes: { length: 1 } }, 'a third watched tx on one stream: refused, typed')
  const second = await openTxStream(t, node.url)
  t.same(await second.closed, { code: 1013, reason: 'TOO_MANY_SUBSCRIBERS' }, 'a second tx stream: closed with 1013')
})
