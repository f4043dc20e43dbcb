/**
 * The benchmark end to end, small: `npm run bench` with a 4-member committee at 50 tx/s
 * for 3 s (result.json has the documented fields, no acknowledged tx lost); an A/B pair;
 * the load through a follower (`--followers 1 --submit-via followers --subscribe-via
 * follower`: result.json says which path, every relayed tx final); and `--scenario
 * member-down` (healthy and member-down runs side by side; what the fault costs is measured,
 * not asserted). One file, so the runs (5-10 processes each) do not overlap. No timing
 * assertions: this machine is shared.
 */
import t from 'tap'
import { execFile } from 'node:child_process'
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { root, runBench } from './run-bench.js'

t.test('npm run bench -- --nodes 4 --rate 50 --duration 3 --warmup 1: result.json complete, nothing lost', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'seq-bench-smoke-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const out = join(dir, 'out')
  const { code, stderr } = await runBench(['--nodes', '4', '--rate', '50', '--duration', '3', '--warmup', '1', '--out', out], 90_000)
  t.equal(code, 0, `bench exits 0 (stderr: ${stderr.slice(-800)})`)
  const result = JSON.parse(await readFile(join(out, 'result.json'), 'utf8')) as Record<string, any>
  for (const field of ['config', 'offered_tps', 'committed_tps', 'payloads_per_s', 'latency_ms', 'stages_ms', 'submitted', 'committed', 'rejected', 'lost', 'rss_mb_max', 'cpu_model', 'load_average_before', 'runs']) {
    t.ok(field in result, `result.json has ${field}`)
  }
  for (const q of ['p50', 'p90', 'p99', 'max']) t.type(result.latency_ms[q], 'number', `latency_ms.${q} is a number`)
  for (const stage of ['ack', 'final_delivered', 'ack_to_final_delivered']) t.ok(result.stages_ms[stage]?.count > 0, `stage ${stage} measured`)
  t.equal(result.config.nodes, 4)
  t.ok(result.submitted > 0, `${result.submitted} submitted`)
  t.equal(result.lost, 0, 'no acknowledged tx lost')
  t.equal(result.committed, result.submitted, 'every submitted tx final')
  t.same(Object.keys(result.rss_mb_max).sort(), ['node-0', 'node-1', 'node-2', 'node-3'], 'RSS of every member')
  t.ok(Object.values(result.rss_mb_max as Record<string, number | null>).every((v) => typeof v === 'number' && v > 0), 'RSS sampled')
  const eff = result.runs[0].efficiency as Record<string, any>
  t.same(Object.keys(eff.members).sort(), ['node-0', 'node-1', 'node-2', 'node-3'], 'efficiency of every member')
  t.ok(eff.rounds > 0 && eff.final_txs > 0, `efficiency counts ${eff.rounds} rounds, ${eff.final_txs} final txs`)
  for (const who of [eff.committee, ...Object.values(eff.members)] as Array<Record<string, unknown>>) {
    for (const k of ['cpu_us_per_round', 'cpu_us_per_final_tx', 'fsyncs_per_round', 'sig_verifies_per_round', 'sig_verifies_per_tx', 'sig_signs_per_round', 'messages_per_round', 'wire_bytes_per_tx']) {
      t.type(who[k], 'number', `efficiency ${k} is a number`)
    }
  }
  t.ok(eff.committee.fsyncs_per_round > 0 && eff.committee.sig_signs_per_round > 0 && eff.committee.messages_per_round > 0, 'fsyncs, signatures and messages counted')
  t.type(eff.rounds_per_s, 'number')
  t.type(eff.txs_per_round, 'number')
  const files = await readdir(out)
  for (const f of ['report.md', 'latency-cdf.svg', 'latency-over-time.svg', 'throughput-over-time.svg']) t.ok(files.includes(f), `${f} written`)
  t.comment(`p50 ${result.latency_ms.p50} ms, p99 ${result.latency_ms.p99} ms`)
})

t.test('npm run bench -- --ab HEAD (A/B, one pair, tiny load): ab.json with medians and ratios, worktree removed', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'seq-bench-ab-smoke-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const out = join(dir, 'out')
  const { code, stderr } = await runBench(['--ab', 'HEAD', '--nodes', '4', '--rate', '40', '--duration', '2', '--warmup', '1', '--drain', '5', '--poll-sample', '0', '--out', out], 180_000, { TMPDIR: dir })
  t.equal(code, 0, `bench --ab exits 0 (stderr: ${stderr.slice(-800)})`)
  const ab = JSON.parse(await readFile(join(out, 'ab.json'), 'utf8')) as Record<string, any>
  t.same(ab.order, ['A1', 'B1'], 'A then B')
  for (const k of ['committed_tps', 'latency_p50_ms', 'committee_cpu_us_per_final_tx']) {
    t.type(ab.medians[k].A, 'number', `median A ${k}`)
    t.type(ab.medians[k].B, 'number', `median B ${k}`)
    t.type(ab.medians[k].ratio_B_over_A, 'number', `ratio ${k}`)
  }
  const files = await readdir(out)
  for (const f of ['A1', 'B1', 'report.md', 'ab.json']) t.ok(files.includes(f), `${f} written`)
  const worktrees = await new Promise<string>((resolve) => execFile('git', ['worktree', 'list', '--porcelain'], { cwd: root }, (_err, stdout) => resolve(stdout)))
  // its worktree was made under `dir` (TMPDIR); other benches running on the machine may hold their own
  t.notOk(worktrees.includes(dir), 'the temp worktree is removed')
})

t.test('npm run bench -- --followers 1 --submit-via followers --subscribe-via follower: txs relayed by the follower end final', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'seq-bench-followers-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const out = join(dir, 'out')
  const { code, stderr } = await runBench(['--followers', '1', '--submit-via', 'followers', '--subscribe-via', 'follower',
    '--nodes', '4', '--rate', '30', '--duration', '3', '--warmup', '2', '--drain', '15', '--senders', '16', '--out', out], 120_000)
  t.equal(code, 0, `bench exits 0 (stderr: ${stderr.slice(-800)})`)
  const result = JSON.parse(await readFile(join(out, 'result.json'), 'utf8')) as Record<string, any>
  t.match(result.config, { followers: 1, submit_via: 'followers', subscribe_via: 'follower' }, 'config records the paths')
  t.same(result.paths, { followers: 1, submit_via: 'followers', subscribe_via: 'follower', ingress: ['follower-0'], subscriber: 'follower-0' }, 'result.json says which path was used')
  t.ok(result.submitted > 0, `${result.submitted} submitted via the follower`)
  t.equal(result.acknowledged, result.submitted, 'the follower relayed every tx')
  t.equal(result.lost, 0, 'no relayed tx lost')
  t.equal(result.committed, result.submitted, 'every tx sent via the follower is final at the follower\'s streams')
  t.same(Object.keys(result.per_rollup).sort(), ['kv', 'token'], 'per-rollup figures')
  t.ok('follower-0' in result.rss_mb_max, 'the follower is sampled too')
  const report = await readFile(join(out, 'report.md'), 'utf8')
  t.match(report, /submitted via followers \(follower-0\), slices followed at follower follower-0/, 'report.md shows the path')
  t.comment(`p50 ${result.latency_ms.p50} ms, p99 ${result.latency_ms.p99} ms`)
})

t.test('npm run bench -- --scenario member-down: healthy and member-down runs side by side', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'seq-bench-scenario-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const out = join(dir, 'out')
  const { code, stderr } = await runBench(['--scenario', 'member-down', '--nodes', '4', '--rate', '30', '--duration', '3', '--warmup', '1', '--drain', '10',
    '--senders', '16', '--poll-sample', '0', '--out', out], 150_000)
  t.equal(code, 0, `bench exits 0 (stderr: ${stderr.slice(-800)})`)
  const result = JSON.parse(await readFile(join(out, 'result.json'), 'utf8')) as Record<string, any>
  t.equal(result.config.scenario, 'member-down')
  t.same(result.runs.map((r: { label: string }) => r.label), ['healthy', 'member-down'], 'runs labelled healthy and member-down')
  for (const r of result.runs as Array<Record<string, any>>) {
    t.type(r.committed_tps, 'number', `${r.label}: committed_tps`)
    t.type(r.latency_ms.p50, 'number', `${r.label}: latency p50`)
    t.type(r.latency_ms.p99, 'number', `${r.label}: latency p99`)
    t.type(r.lost, 'number', `${r.label}: lost`)
    t.same(Object.keys(r.per_rollup).sort(), ['kv', 'token'], `${r.label}: per_rollup`)
    for (const p of Object.values(r.per_rollup) as Array<Record<string, any>>) {
      t.type(p.offered_tps, 'number')
      t.type(p.committed_tps, 'number')
      t.type(p.rejected, 'object')
      t.type(p.latency_ms.p50, 'number')
    }
  }
  t.equal(result.runs[0].lost, 0, 'the healthy run lost nothing')
  t.equal(result.runs[0].fault, undefined, 'no fault in the healthy run')
  const events = result.runs[1].fault.events as Array<Record<string, any>>
  t.match(events, [{ action: 'kill', member: 1 }], 'member 1 was killed once')
  t.equal(events.length, 1)
  t.ok(result.runs[1].committed > 0, 'the three others kept committing')
  t.equal(result.scenario.name, 'member-down')
  t.type(result.scenario.ratio_scenario_over_healthy.committed_tps, 'number', 'ratio of committed tx/s')
  const report = await readFile(join(out, 'report.md'), 'utf8')
  t.match(report, /## Scenario `member-down` against the healthy run/, 'report.md compares the runs')
  t.match(report, /### Per rollup/)
  t.comment(`committed ${result.runs[0].committed_tps} -> ${result.runs[1].committed_tps} tx/s, p99 ${result.runs[0].latency_ms.p99} -> ${result.runs[1].latency_ms.p99} ms`)
})

t.test('npm run bench -- --scenario flood: the flooding rollup (posted from a worker thread) meets its lane rate, the other rollup is never refused', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'seq-bench-flood-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const out = join(dir, 'out')
  // lane rate 1.25 x 10 x 2 / 4 = 6.25 tx/s per member: ~3 per rollup against token's 12.5 and kv's 2.5 per member
  const { code, stderr } = await runBench(['--scenario', 'flood', '--flood-rate', '10', '--flood-factor', '5', '--duration', '4', '--warmup', '1', '--drain', '10',
    '--senders', '8', '--poll-sample', '0', '--out', out], 150_000)
  t.equal(code, 0, `bench exits 0 (stderr: ${stderr.slice(-800)})`)
  const result = JSON.parse(await readFile(join(out, 'result.json'), 'utf8')) as Record<string, any>
  t.same(result.config.node_config, { mempool: { laneRateTxPerSec: 6.25 } }, 'the members ran with the lane rate')
  const flood = result.runs[1].per_rollup as Record<string, Record<string, any>>
  t.ok((flood.token!.rejected.TX_LANE_FULL ?? 0) > 0, `token got 429 TX_LANE_FULL (${JSON.stringify(flood.token!.rejected)})`)
  t.ok(flood.token!.committed_tps > 0, 'token\'s txs within its rate became final (its worker thread posted them)')
  t.same(flood.kv!.rejected, {}, 'kv was never refused')
  t.equal(flood.kv!.lost, 0)
  t.equal(result.runs[1].lost, 0, 'nothing acknowledged was lost')
})
