/**
 * A node started with `store.faults` in its config (fault injection, dev only) whose
 * final-batch writes fail with EIO for a while: /v1/status shows `storeFault` (code, path,
 * since) and /metrics the per-path failure counter and the fault gauge while it lasts, and
 * the node goes on by itself once the writes go through (its tx is final and stays so
 * across a restart). Runs the built CLI, so the config path is the one users have.
 */
import t from 'tap'
import { bytesToHex } from '../../src/crypto/index.js'
import { txHash } from '../../src/batch/index.js'
import {
  getJson, getMetricsText, makeNodeHome, metricValue, startNodeProcess, submitTxBytes, waitCommitted
} from '../helpers/node-process.js'
import { makeTx } from '../helpers/txs.js'

interface Status { height: number, storeFault: { code: string, path: string, since: string } | null }

async function until<T> (what: string, probe: () => Promise<T | null>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value !== null) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

t.test('status and metrics show a failing final-batch write; the node resumes when it goes through', async (t) => {
  // 8 failed tries at backoff 50 ms doubling to 2 s: about 7 s of failing writes
  const home = await makeNodeHome(t, { config: { store: { faults: { failPaths: ['final'], code: 'EIO', failCount: 8 } } } })
  const node = await startNodeProcess(t, home.configFile)
  const { tx, bytes } = makeTx({ chainId: home.genesis.chainId, rollups: [1] })
  const hash = bytesToHex(txHash(home.genesis.chainId, tx))
  t.equal((await submitTxBytes(node.url, bytes)).status, 202)

  const fault = await until('storeFault in /v1/status', async () => (await getJson<Status>(node.url, '/v1/status')).storeFault)
  t.equal(fault.code, 'EIO')
  t.equal(fault.path, 'final')
  t.ok(Date.parse(fault.since) <= Date.now(), `since ${fault.since}`)
  const metrics = await getMetricsText(node.url)
  t.equal(metricValue(metrics, 'seq_store_fault', { path: 'final' }), 1, 'the fault gauge is 1 for final')
  t.equal(metricValue(metrics, 'seq_store_fault', { path: 'wal' }), 0, 'and 0 for the WAL')
  t.ok((metricValue(metrics, 'seq_store_write_failures_total', { path: 'final' }) ?? 0) >= 1, 'failures are counted per path')

  await until('storeFault cleared', async () => (await getJson<Status>(node.url, '/v1/status')).storeFault === null ? true : null)
  t.equal(metricValue(await getMetricsText(node.url), 'seq_store_fault', { path: 'final' }), 0, 'the gauge is back to 0')
  const { missing } = await waitCommitted(node.url, [hash])
  t.equal(missing.size, 0, 'the tx is final')
  // and it reached the disk: a restart has it
  await node.kill('SIGTERM')
  const again = await startNodeProcess(t, home.configFile)
  t.equal((await waitCommitted(again.url, [hash])).missing.size, 0, 'still final after a restart')
  await again.kill('SIGTERM')
})
