/**
 * Flood isolation across a 4-member committee (issue #12): rollup `token` floods all four
 * members' APIs through the SDK while rollup `kv` sends a few txs within its lane rate. The
 * members run with a small `mempool.laneRateTxPerSec`, so token is refused with typed 429s
 * naming its lane rate, mostly from the `x-rollup-id` header before its bodies are read; kv's
 * txs are all acknowledged and become final while the flood goes on; token's acknowledged txs
 * become final too. No assertion depends on speed: kv's few txs fit in its bucket's burst.
 */
import t from 'tap'
import { join } from 'node:path'
import { readFile } from 'node:fs/promises'
import { initHome } from '../../src/node/init-home.js'
import { parseGenesis } from '../../src/node/genesis.js'
import { AdmissionErrorCode } from '../../src/mempool/index.js'
import { SequencerApiError, SequencerClient } from '../../src/client/index.js'
import { freePorts, getMetricsText, metricValue, patchJsonFile, startNodeProcess, tempDir, waitCommitted } from '../helpers/node-process.js'
import { makeTx } from '../helpers/txs.js'
import { getStatus, sleep, waitFor } from './chain-check.js'

const N = 4
/** per member: 4 tx/s and a burst of 4 per rollup (weights 1:1) */
const LANE_RATE = 8
/** kv txs per member: within its burst, so none may be refused however slow the machine */
const KV_PER_MEMBER = 3

t.test('a flooding rollup gets typed 429s naming its lane rate while the other rollup\'s txs become final', async (t) => {
  const root = await tempDir(t, 'seqnode-flood-')
  const init = await initHome({ dir: join(root, 'home'), chainId: 'flood-e2e', nodes: N, rollups: ['token', 'kv'], basePort: 0, p2pPorts: await freePorts(N) })
  const genesis = parseGenesis(JSON.parse(await readFile(init.genesisFile, 'utf8')))
  const idOf = (name: string): number => genesis.rollups.find((r) => r.name === name)!.id
  for (const n of init.nodes) await patchJsonFile(n.configFile, { mempool: { laneRateTxPerSec: LANE_RATE, laneBurstSeconds: 1 } })
  const nodes = await Promise.all(init.nodes.map(async (n) => await startNodeProcess(t, n.configFile, { timeoutMs: 30_000 })))
  await waitFor('every member to see its 3 peers', 60_000, async () => (await Promise.all(nodes.map(async (n) => await getStatus(n.url)))).every((s) => s.peers === N - 1) ? true : null)
  const clients = nodes.map((n) => new SequencerClient({ url: n.url }))

  let flooding = true
  const floodAcked: string[] = []
  const laneRefusals: SequencerApiError[] = []
  const otherErrors: unknown[] = []
  const flood = Promise.all(clients.map(async (client) => {
    while (flooding) {
      await Promise.all(Array.from({ length: 8 }, async () => {
        try {
          floodAcked.push((await client.submit(makeTx({ chainId: genesis.chainId, rollups: [idOf('token')] }).bytes)).hash)
        } catch (err) {
          if (err instanceof SequencerApiError && err.code === AdmissionErrorCode.LANE_FULL) laneRefusals.push(err)
          else otherErrors.push(err)
        }
      }))
      // far above the lane rate still, without spinning the test's CPU (the suite runs files side by side)
      await sleep(25)
    }
  }))
  t.teardown(async () => { flooding = false; await flood })
  await waitFor('the flood to meet its lane rate', 60_000, async () => laneRefusals.length > 0 ? true : null)

  const kvResults = await Promise.all(clients.flatMap((client) => Array.from({ length: KV_PER_MEMBER }, async () =>
    await client.submit(makeTx({ chainId: genesis.chainId, rollups: [idOf('kv')] }).bytes).catch((err: unknown) => err))))
  const kvHashes = kvResults.flatMap((r) => typeof r === 'object' && r !== null && 'hash' in r ? [(r as { hash: string }).hash] : [])
  t.equal(kvHashes.length, N * KV_PER_MEMBER, `every kv tx acknowledged during the flood (${JSON.stringify(kvResults.filter((r) => r instanceof Error).map(String).slice(0, 2))})`)
  const kvFinal = await waitCommitted(nodes[0]!.url, kvHashes, 60_000)
  t.equal(kvFinal.missing.size, 0, 'every kv tx is final while token floods')
  t.ok(flooding, 'the flood was still going on')
  flooding = false
  await flood

  t.same(otherErrors.map(String), [], 'token got no refusal other than TX_LANE_FULL')
  const refusal = laneRefusals[0]!
  t.equal(refusal.status, 429)
  t.match(refusal.message, /rollup token is over its lane rate: 4 tx\/s at this member/, 'the 429 names the lane rate')
  t.ok((refusal.retryAfterSeconds ?? 0) >= 1, 'with a Retry-After')
  t.ok(floodAcked.length > 0, `token's txs within its rate were acknowledged (${floodAcked.length}, ${laneRefusals.length} refused)`)
  const tokenFinal = await waitCommitted(nodes[1]!.url, floodAcked, 60_000)
  t.equal(tokenFinal.missing.size, 0, 'and every acknowledged token tx becomes final')

  const counted = (await Promise.all(nodes.map(async (n) => await getMetricsText(n.url)))).map((text) => ({
    header: metricValue(text, 'seq_lane_refused_total', { rollup: 'token', code: AdmissionErrorCode.LANE_FULL, stage: 'header' }) ?? 0,
    kv: (metricValue(text, 'seq_lane_refused_total', { rollup: 'kv', code: AdmissionErrorCode.LANE_FULL, stage: 'header' }) ?? 0) +
      (metricValue(text, 'seq_lane_refused_total', { rollup: 'kv', code: AdmissionErrorCode.LANE_FULL, stage: 'body' }) ?? 0)
  }))
  t.ok(counted.reduce((sum, c) => sum + c.header, 0) > 0, 'the members counted token\'s refusals from its header, before its bodies')
  t.equal(counted.reduce((sum, c) => sum + c.kv, 0), 0, 'and none for kv')
})
