/**
 * The bench's follower measurements, small: `--submit-via split` (both paths in one run,
 * each tx final on its own path's stream, the difference split into tx and read side),
 * `--scenario followers-stream` (every follower streams every height exactly once) and
 * `--scenario follower-flood` (the rogue peer is cut off by every member). What they cost is
 * measured, not asserted: this machine is shared.
 */
import t, { type Test } from 'tap'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runBench } from './run-bench.js'

const SMALL = ['--nodes', '4', '--rate', '30', '--duration', '3', '--warmup', '1', '--drain', '10', '--senders', '16', '--poll-sample', '0']

async function bench (t: Test, flags: string[], timeoutMs: number): Promise<Record<string, any>> {
  const dir = await mkdtemp(join(tmpdir(), 'seq-bench-followers-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const out = join(dir, 'out')
  const { code, stderr } = await runBench([...flags, ...SMALL, '--out', out], timeoutMs)
  t.equal(code, 0, `bench exits 0 (stderr: ${stderr.slice(-800)})`)
  return JSON.parse(await readFile(join(out, 'result.json'), 'utf8')) as Record<string, any>
}

t.test('--submit-via split: both paths in one run, each final on its own stream', async (t) => {
  const result = await bench(t, ['--followers', '1', '--submit-via', 'split'], 120_000)
  const split = result.runs[0].path_split as Record<string, any>
  t.ok(split.member.txs > 0 && split.follower.txs > 0, `both paths carried txs (${split.member.txs} / ${split.follower.txs})`)
  t.equal(split.member.final, split.member.txs, 'every member-path tx final on the member stream')
  t.equal(split.follower.final, split.follower.txs, 'every follower-path tx final on the follower stream')
  t.type(split.follower_minus_member_p50_ms, 'number')
  t.type(split.tx_side_p50_ms, 'number')
  t.ok(split.read_side_ms.count > 0, `read side measured on ${split.read_side_ms.count} txs`)
  t.same(result.runs[0].paths.ingress, ['node-0', 'follower-0', 'node-1', 'follower-0', 'node-2', 'follower-0', 'node-3', 'follower-0'], 'senders alternate members and follower-0')
  const stages = result.runs[0].follower_stages['follower-0'] as Record<string, { batches: number, p50_ms: number | null }>
  t.ok(Object.keys(stages).some((k) => k.startsWith('lag/')) && Object.keys(stages).some((k) => k.startsWith('intake/')), `the follower's stages by path: ${JSON.stringify(stages)}`)
  t.comment(`follower - member p50 ${split.follower_minus_member_p50_ms} ms (tx side ${split.tx_side_p50_ms}, read side p50 ${split.read_side_ms.p50})`)
})

t.test('--scenario followers-stream: every follower delivers every height exactly once', async (t) => {
  const result = await bench(t, ['--scenario', 'followers-stream', '--followers', '2', '--follower-rollups', 'off'], 240_000)
  t.same(result.runs.map((r: { label: string }) => r.label), ['healthy', 'followers-2-streaming'])
  t.equal(result.runs[0].paths.followers, 0, 'the healthy run has no followers')
  const checks = result.runs[1].checks as Record<string, any>
  t.equal(checks.streams, 4, 'two followers x two rollups')
  t.ok(checks.to_height >= checks.from_height, `heights ${checks.from_height}..${checks.to_height}`)
  t.equal(checks.every_height_exactly_once, true, JSON.stringify(checks.followers))
  t.type(result.scenario.ratio_scenario_over_healthy.p99, 'number', 'members\' p99 ratio')
  t.equal(result.config.follower_rollups, 'off', 'followers that only verify, store and serve')
})

t.test('--scenario follower-flood: the flooding peer is cut off by every member', async (t) => {
  const result = await bench(t, ['--scenario', 'follower-flood', '--flood-txs', '5000'], 240_000)
  const checks = result.runs[1].checks as Record<string, any>
  t.type(checks.cut_off_ms, 'number', `cut off after ${checks.cut_off_ms} ms`)
  t.equal(checks.members_still_connected, 0, 'no member still holds its connection')
  t.ok(checks.sent_txs_before_cut_off > 0, `${checks.sent_txs_before_cut_off} invalid txs sent before`)
  t.equal(result.runs[1].lost, 0, 'the members\' own load lost nothing')
  t.comment(`members p99 ${result.runs[0].latency_ms.p99} -> ${result.runs[1].latency_ms.p99} ms`)
})
