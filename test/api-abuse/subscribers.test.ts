/**
 * 200 WebSocket subscribers that never read, against a real node under a steady load:
 * what the node queues for them stays within its stream budget (plus one slice each),
 * its memory stays bounded, each is closed as stalled (4408 STREAM_STALLED) and cut off,
 * subscribers past the cap are refused (1013 TOO_MANY_SUBSCRIBERS), and the node keeps
 * finalising the load throughout.
 */
import t from 'tap'
import WebSocket from 'ws'
import { encode, TxSchema } from '../../src/codec/index.js'
import { bytesToHex, Ed25519Signer, generateKeyPair } from '../../src/crypto/index.js'
import { signTx } from '../../src/mempool/index.js'
import { txHash } from '../../src/batch/index.js'
import { mapConcurrent, submitTxBytes, waitCommitted } from '../helpers/node-process.js'
import { memoryOf, MiB, rejectionDelta, rejections, sleep, startAbuseNode, type MemorySample } from './helpers.js'

const SUBSCRIBERS = 200
const BUDGET = 32 * MiB
const STALL_MS = 3000
const BLOB_ROLLUP = 3
const CHAIN_ID = 'abuse-1'

t.test(`${SUBSCRIBERS} subscribers that never read: bounded queue and memory, closed as stalled`, async (t) => {
  const node = await startAbuseNode(t, {
    rollups: ['token', 'kv', 'blob'],
    api: { maxConnectionsPerIp: 1000, maxStreamSubscribers: SUBSCRIBERS, streamBufferBudgetBytes: BUDGET, streamStallTimeoutMs: STALL_MS }
  })
  const signer = new Ed25519Signer(generateKeyPair().seed)
  let nonce = 0
  const blobTx = (payloadBytes: number): { hash: string, bytes: Uint8Array } => {
    const tx = signTx(CHAIN_ID, { actions: [{ rollupId: BLOB_ROLLUP, payload: new Uint8Array(payloadBytes).fill(nonce & 0xff) }], nonce: nonce++, expiry: Date.now() + 10 * 60_000 }, signer)
    return { hash: bytesToHex(txHash(CHAIN_ID, tx)), bytes: encode(TxSchema, tx) }
  }
  // History worth more than a socket's kernel buffers (a few MiB) for every subscriber to fill up on.
  const history = Array.from({ length: 120 }, () => blobTx(48 * 1024))
  const accepted = await mapConcurrent(history, 8, async (tx) => (await submitTxBytes(node.url, tx.bytes)).status)
  t.same(new Set(accepted), new Set([202]), 'history admitted')
  t.equal((await waitCommitted(node.url, history.map((h) => h.hash), 30_000)).missing.size, 0, '120 txs of 48 KiB final')
  const calm = await memoryOf(node.url)
  const before = await rejections(node.url)

  // Steady load all along: an 8 KiB tx every 50 ms.
  let loading = true
  const loaded: string[] = []
  const load = (async () => {
    while (loading) {
      const tx = blobTx(8 * 1024)
      if ((await submitTxBytes(node.url, tx.bytes)).status === 202) loaded.push(tx.hash)
      await sleep(50)
    }
  })()

  const sockets: WebSocket[] = []
  t.teardown(() => { for (const ws of sockets) ws.terminate() })
  const closes: Array<Promise<number>> = []
  const open = (paused: boolean): void => {
    const ws = new WebSocket(`${node.url.replace(/^http/, 'ws')}/v1/rollups/blob/stream?format=msgpack`)
    ws.on('error', () => {})
    if (paused) ws.once('open', () => { (ws as unknown as { _socket: import('node:net').Socket })._socket.pause() })
    closes.push(new Promise((resolve) => ws.once('close', (code) => resolve(code))))
    sockets.push(ws)
  }
  for (let i = 0; i < SUBSCRIBERS; i++) open(true)
  await sleep(1000)
  const extra = 10
  const refusedBefore = closes.length
  for (let i = 0; i < extra; i++) open(false)
  const refusedCodes = await Promise.all(closes.slice(refusedBefore))
  t.same(refusedCodes, Array(extra).fill(1013), `${extra} subscribers past the cap of ${SUBSCRIBERS} closed with 1013`)

  const samples: MemorySample[] = []
  const deadline = Date.now() + 45_000
  let stalled = 0
  while (Date.now() < deadline) {
    samples.push(await memoryOf(node.url))
    stalled = rejectionDelta(before, await rejections(node.url)).STREAM_STALLED ?? 0
    if (stalled === SUBSCRIBERS) break
    await sleep(250)
  }
  const peak = (key: keyof MemorySample): number => Math.max(...samples.map((s) => s[key]))
  const peakSubscribers = peak('subscribers')
  t.equal(stalled, SUBSCRIBERS, `every non-reader closed as STREAM_STALLED (${stalled})`)
  t.equal(peakSubscribers, SUBSCRIBERS, `${peakSubscribers} subscribers were open at once`)
  // A pump may hold one slice between its budget check and its send: the bound is one (largest) slice each.
  const finalHeight = (await (await fetch(`${node.url}/v1/status`)).json() as { height: number }).height
  let largestSlice = 0
  for (let h = 0; h <= finalHeight; h++) {
    const res = await fetch(`${node.url}/v1/rollups/blob/slices/${h}`, { headers: { accept: 'application/msgpack' } })
    largestSlice = Math.max(largestSlice, (await res.arrayBuffer()).byteLength)
  }
  t.comment(`node memory: calm RSS ${(calm.rssBytes / MiB).toFixed(0)} MiB, heap ${(calm.heapUsedBytes / MiB).toFixed(0)} MiB; ` +
    `with ${SUBSCRIBERS} non-readers peak RSS ${(peak('rssBytes') / MiB).toFixed(0)} MiB, heap ${(peak('heapUsedBytes') / MiB).toFixed(0)} MiB, ` +
    `queued ${(peak('streamBufferedBytes') / MiB).toFixed(1)} MiB (budget ${BUDGET / MiB} MiB, largest slice ${(largestSlice / 1024).toFixed(0)} KiB)`)
  t.ok(peak('streamBufferedBytes') <= BUDGET + SUBSCRIBERS * largestSlice, 'queued bytes within the budget plus one slice per subscriber')
  t.ok(peak('rssBytes') - calm.rssBytes < 600 * MiB, `RSS growth ${((peak('rssBytes') - calm.rssBytes) / MiB).toFixed(0)} MiB < 600 MiB (without the budget: 800 MiB queued, 1.7 GiB RSS growth)`)

  // After the close grace the server has cut them all off on its own.
  const cutOff = Date.now() + 10_000
  let after = await memoryOf(node.url)
  while (after.subscribers > 0 && Date.now() < cutOff) {
    await sleep(250)
    after = await memoryOf(node.url)
  }
  t.equal(after.subscribers, 0, 'no subscriber left')
  t.ok(after.streamBufferedBytes === 0, 'nothing queued')

  loading = false
  await load
  t.ok(loaded.length > 20, `${loaded.length} txs of the steady load admitted meanwhile`)
  t.equal((await waitCommitted(node.url, loaded, 30_000)).missing.size, 0, 'and all of them final')
})
