/**
 * `--scenario member-down`, small: a healthy run and a run where member 1 gets SIGKILL after
 * the warm-up, same load. Checks the documented shape of runs[] (labels, per-rollup figures,
 * the kill event, ratios) and that the healthy run lost nothing. What the fault costs is
 * measured, not asserted (this machine is shared).
 */
import t from 'tap'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runBench } from './run-bench.js'

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
