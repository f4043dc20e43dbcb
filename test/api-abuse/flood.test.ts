/**
 * One client floods one rollup, ignoring Retry-After, against a real node with a small
 * mempool: the flooded lane answers 429 TX_LANE_FULL with Retry-After, the other rollup's
 * txs are all admitted and final, and its submit -> final latency (measured on the client,
 * from the POST to the slice arriving on the rollup's stream) is reported for a calm run
 * and under the flood. Only a generous liveness bound is asserted.
 */
import t from 'tap'
import WebSocket from 'ws'
import { decode, encode, SliceLeafSchema, SliceSchema, TxSchema } from '../../src/codec/index.js'
import { bytesToHex, Ed25519Signer, generateKeyPair } from '../../src/crypto/index.js'
import { signTx } from '../../src/mempool/index.js'
import { txHash } from '../../src/batch/index.js'
import { rejectionDelta, rejections, sleep, startAbuseNode } from './helpers.js'

const CHAIN_ID = 'abuse-1'
const FLOOD = 1
const CALM = 2
const PHASE_MS = 6000
const FLOOD_WORKERS = 48

function signer (): Ed25519Signer {
  return new Ed25519Signer(generateKeyPair().seed)
}

function makeTx (key: Ed25519Signer, rollupId: number, nonce: number, payloadBytes: number): { hash: string, bytes: Uint8Array } {
  const tx = signTx(CHAIN_ID, { actions: [{ rollupId, payload: new Uint8Array(payloadBytes).fill(nonce & 0xff) }], nonce, expiry: Date.now() + 10 * 60_000 }, key)
  return { hash: bytesToHex(txHash(CHAIN_ID, tx)), bytes: encode(TxSchema, tx) }
}

async function post (url: string, bytes: Uint8Array): Promise<{ status: number, code: string, retryAfter: string | null }> {
  const res = await fetch(`${url}/v1/txs`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: bytes })
  const body = await res.json() as { error?: { code: string } }
  return { status: res.status, code: body.error?.code ?? '', retryAfter: res.headers.get('retry-after') }
}

function percentile (values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN
}

t.test('a client flooding one rollup gets 429 TX_LANE_FULL; the other rollup keeps its latency', async (t) => {
  const node = await startAbuseNode(t, {
    rollups: ['flood', 'calm'],
    // A small mempool, and batches of at most 128 KiB, so a flood of 16 KiB txs outruns the drain.
    mempool: { maxTxs: 400, maxBytes: 1024 * 1024 },
    limits: { maxPayloadBytes: 16 * 1024, maxTxBytes: 20 * 1024, maxBatchBytes: 128 * 1024 },
    consensus: { maxChunkBytes: 64 * 1024 }
  })

  // Final times of calm txs, from the calm rollup's stream (client clock).
  const finalAt = new Map<string, number>()
  const stream = new WebSocket(`${node.url.replace(/^http/, 'ws')}/v1/rollups/calm/stream?format=msgpack`)
  t.teardown(() => { stream.terminate() })
  stream.on('message', (data: Buffer) => {
    const now = performance.now()
    for (const leaf of decode(SliceSchema, new Uint8Array(data)).leaves) {
      finalAt.set(bytesToHex(decode(SliceLeafSchema, leaf.subarray(8)).txHash), now)
    }
  })
  await new Promise((resolve, reject) => { stream.once('open', resolve); stream.once('error', reject) })

  const calmKey = signer()
  let calmNonce = 0
  /** One calm tx every 100 ms for `ms`; returns submit times by hash and any refusal. */
  const calmPhase = async (ms: number): Promise<{ sent: Map<string, number>, acks: number[], refused: string[] }> => {
    const sent = new Map<string, number>()
    const acks: number[] = []
    const refused: string[] = []
    const end = performance.now() + ms
    while (performance.now() < end) {
      const tx = makeTx(calmKey, CALM, calmNonce++, 64)
      const at = performance.now()
      const reply = await post(node.url, tx.bytes)
      acks.push(performance.now() - at)
      if (reply.status === 202) sent.set(tx.hash, at)
      else refused.push(`${reply.status} ${reply.code}`)
      await sleep(100)
    }
    return { sent, acks, refused }
  }
  const latencies = async (sent: Map<string, number>): Promise<number[]> => {
    const deadline = Date.now() + 30_000
    while ([...sent.keys()].some((h) => !finalAt.has(h)) && Date.now() < deadline) await sleep(50)
    return [...sent].map(([hash, at]) => (finalAt.get(hash) ?? Infinity) - at)
  }

  const calmRun = await calmPhase(PHASE_MS)
  const calmLatencies = await latencies(calmRun.sent)

  // The flood: pre-signed txs, FLOOD_WORKERS requests in flight, a refused tx is retried at once.
  const floodKeys = Array.from({ length: 8 }, signer)
  const pool = Array.from({ length: 6000 }, (_, i) => makeTx(floodKeys[i % floodKeys.length]!, FLOOD, Math.floor(i / floodKeys.length), 16 * 1024))
  const before = await rejections(node.url)
  const counts: Record<string, number> = {}
  const retryAfter = new Set<string | null>()
  let flooding = true
  const flood = Promise.all(Array.from({ length: FLOOD_WORKERS }, async () => {
    while (flooding && pool.length > 0) {
      const tx = pool.pop()!
      const reply = await post(node.url, tx.bytes)
      const key = reply.status === 202 ? '202' : `${reply.status} ${reply.code}`
      counts[key] = (counts[key] ?? 0) + 1
      if (reply.status === 429) { retryAfter.add(reply.retryAfter); pool.unshift(tx) }
    }
  }))
  await sleep(500)
  const floodRun = await calmPhase(PHASE_MS)
  flooding = false
  await flood
  const floodLatencies = await latencies(floodRun.sent)

  const fmt = (v: number[]): string => `p50 ${percentile(v, 0.5).toFixed(0)} ms, p99 ${percentile(v, 0.99).toFixed(0)} ms, max ${Math.max(...v).toFixed(0)} ms (n=${v.length})`
  t.comment(`calm rollup, calm run:    submit -> final ${fmt(calmLatencies)}; submit -> 202 ${fmt(calmRun.acks)}`)
  t.comment(`calm rollup, under flood: submit -> final ${fmt(floodLatencies)}; submit -> 202 ${fmt(floodRun.acks)}`)
  t.comment(`flood replies: ${JSON.stringify(counts)}`)

  t.ok((counts['429 TX_LANE_FULL'] ?? 0) > 0, 'the flooded lane answered 429 TX_LANE_FULL')
  t.same([...retryAfter], ['1'], 'always with Retry-After')
  t.equal(rejectionDelta(before, await rejections(node.url)).TX_LANE_FULL, counts['429 TX_LANE_FULL'], 'each counted in seq_api_rejected_total')
  t.same(calmRun.refused.concat(floodRun.refused), [], 'the calm rollup never saw a refusal, flood or not')
  t.ok(calmLatencies.every(Number.isFinite) && floodLatencies.every(Number.isFinite), 'every calm tx became final')
  t.ok(percentile(floodLatencies, 0.99) < 10_000, 'under the flood the calm rollup stays live (p99 under a generous 10 s)')
})
