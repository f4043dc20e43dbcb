/**
 * Operators' view of /metrics, on a real one-member node and a follower (two processes):
 * `promtool check metrics` accepts both expositions (when promtool is installed: Debian's
 * `prometheus` package, which .ci/run installs), and every metric docs/grafana-dashboard.json
 * queries is one the node or follower really exports; its queries parse as PromQL
 * (`promtool check rules`). The follower serves the explorer page too.
 */
import t from 'tap'
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { TxSchema, encode } from '../../src/codec/index.js'
import { bytesToHex, Ed25519Signer, generateKeyPair } from '../../src/crypto/index.js'
import { signTx } from '../../src/mempool/index.js'
import { txHash } from '../../src/batch/index.js'
import { initFollower } from '../../src/node/init-follower.js'
import { initHome } from '../../src/node/init-home.js'
import { freePorts, getJson, getMetricsText, repoRoot, startNodeProcess, submitTxBytes, tempDir, waitCommitted } from '../helpers/node-process.js'

const PROMTOOL = process.env.PROMTOOL_PATH ?? '/usr/bin/promtool'
const noPromtool = existsSync(PROMTOOL) ? false : `no promtool at ${PROMTOOL} (apt-get install prometheus, as .ci/run does; or set PROMTOOL_PATH)`

interface Dashboard { panels: Array<{ title: string, type: string, targets?: Array<{ expr: string }> }> }

/** Metric names of an exposition: sample names and the names of # TYPE lines. */
function exportedNames (text: string): Set<string> {
  const names = new Set<string>()
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) /.exec(line)
    if (type !== null) names.add(type[1]!)
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)[{ ]/.exec(line)
    if (sample !== null) names.add(sample[1]!)
  }
  return names
}

function promtool (args: string[], input?: string): { status: number | null, output: string } {
  const run = spawnSync(PROMTOOL, args, { input, encoding: 'utf8', timeout: 30_000 })
  return { status: run.status, output: `${run.stdout}${run.stderr}`.trim() }
}

t.test('a node and a follower: /metrics passes promtool, the dashboard queries exported metrics', async (t) => {
  const root = await tempDir(t, 'seqnode-ops-')
  const home = join(root, 'home')
  const [p2pPort, publicPort, followerPort] = await freePorts(3)
  const init = await initHome({ dir: home, chainId: 'ops-1', nodes: 1, rollups: ['token', 'kv'], basePort: 0, p2pPorts: [p2pPort!], publicPorts: [publicPort!] })
  const member = await startNodeProcess(t, init.nodes[0]!.configFile)
  const { configFile } = await initFollower({ home, dir: join(root, 'follower'), apiPort: 0, publicPort: followerPort! })
  const follower = await startNodeProcess(t, configFile)

  // Traffic, so that labelled counters and histograms have samples: txs final, one refused.
  const signer = new Ed25519Signer(generateKeyPair().seed)
  const txs = [1, 2].map((rollupId, nonce) => signTx('ops-1', { actions: [{ rollupId, payload: new Uint8Array([nonce]) }], nonce, expiry: Date.now() + 600_000 }, signer))
  for (const tx of txs) t.equal((await submitTxBytes(member.url, encode(TxSchema, tx))).status, 202)
  t.equal((await submitTxBytes(member.url, encode(TxSchema, txs[0]!))).body.error?.code, 'TX_DUPLICATE', 'a refusal, counted by code')
  const { missing } = await waitCommitted(member.url, txs.map((tx) => bytesToHex(txHash('ops-1', tx))), 20_000)
  t.equal(missing.size, 0, 'txs final')
  const height = (await getJson<{ height: number }>(member.url, '/v1/status')).height
  const deadline = Date.now() + 30_000
  while ((await getJson<{ height: number }>(follower.url, '/v1/status')).height < height) {
    if (Date.now() > deadline) throw new Error(`follower did not reach height ${height}`)
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
  const texts = { member: await getMetricsText(member.url), follower: await getMetricsText(follower.url) }

  t.test('promtool check metrics', { skip: noPromtool }, async (t) => {
    for (const [who, text] of Object.entries(texts)) {
      const check = promtool(['check', 'metrics'], text)
      t.equal(check.status, 0, `${who}: promtool exit 0`)
      t.equal(check.output, '', `${who}: no complaint${check.output === '' ? '' : `:\n${check.output}`}`)
    }
  })

  t.test('the Grafana dashboard uses metrics that exist', async (t) => {
    const dashboard = JSON.parse(await readFile(join(repoRoot, 'docs/grafana-dashboard.json'), 'utf8')) as Dashboard
    const exprs = dashboard.panels.flatMap((p) => (p.targets ?? []).map((target) => ({ panel: p.title, expr: target.expr })))
    t.ok(exprs.length >= 20, `${exprs.length} queries`)
    const member = exportedNames(texts.member)
    const anywhere = new Set([...member, ...exportedNames(texts.follower)])
    for (const { panel, expr } of exprs) {
      const names = [...expr.matchAll(/\b(seq_[a-zA-Z0-9_:]+)/g)].map((m) => m[1]!)
      t.ok(names.length > 0, `${panel}: queries seq_ metrics`)
      for (const name of names) {
        const where = name.startsWith('seq_follower_') ? anywhere : member
        t.ok(where.has(name), `${panel}: ${name} is exported${name.startsWith('seq_follower_') ? ' (by a follower)' : ''}`)
      }
    }
    const titles = dashboard.panels.map((p) => p.title).join(' | ')
    for (const need of [/rounds\/s/, /Final height/, /Final txs\/s/, /final \(p50/, /rejected\/s by code/, /Mempool/, /peers/, /fsyncs/, /CPU/]) {
      t.match(titles, need, `a panel for ${need.source}`)
    }

    if (noPromtool !== false) return
    // Every query parses as PromQL: as recording rules, with Grafana's variables filled in.
    const rules = { groups: [{ name: 'dashboard', rules: exprs.map((e, i) => ({ record: `dashboard:query_${i}`, expr: e.expr.replaceAll('$__rate_interval', '1m').replaceAll('$instance', '.*') })) }] }
    const file = join(root, 'dashboard-rules.yml')
    await writeFile(file, JSON.stringify(rules)) // JSON is YAML
    const check = promtool(['check', 'rules', file])
    t.equal(check.status, 0, `promtool check rules: ${check.output.split('\n').slice(-3).join(' ')}`)
  })

  t.test('the follower serves the explorer page too', async (t) => {
    const res = await fetch(`${follower.url}/`)
    t.equal(res.status, 200)
    t.match(await res.text(), /seqnode explorer/)
  })
})
