/**
 * The bench through a follower, small: one follower next to a 4-member committee, the load
 * posted to the follower's API (`relayed` acks) and the slices followed at the follower.
 * Checks that result.json says which path was used and that every tx sent via the follower
 * became final (lost 0). No timing assertions: this machine is shared.
 */
import t from 'tap'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runBench } from './run-bench.js'

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
