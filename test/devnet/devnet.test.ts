/**
 * The devnet end to end, as a user runs it: 4 member processes, the toy rollups in each,
 * the external toy rollup process, load through the API, and the exit summary. Checks
 * agreement, state roots (in-process on every member and the external process), that no
 * acknowledged tx was lost, and that no process it started outlives it.
 */
import t from 'tap'
import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { pidsOf, running, type StatusLine } from './helpers.js'

const root = fileURLToPath(new URL('../..', import.meta.url))

t.test('npm run devnet -- --duration 10 --summary: agreed, same state roots, nothing lost, nothing left running', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'seq-devnet-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const summaryFile = join(dir, 'summary.json')
  const args = ['--import', './src/polyfills/register.js', '--import', 'tsx', 'devnet/devnet.ts',
    '--data', join(dir, 'data'), '--nodes', '4', '--load', '50', '--duration', '10', '--json', '--summary', summaryFile]
  const { code, stdout, stderr } = await new Promise<{ code: number | null, stdout: string, stderr: string }>((resolve) => {
    execFile(process.execPath, args, { cwd: root, timeout: 120_000, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : (typeof err.code === 'number' ? err.code : null), stdout, stderr })
    })
  })
  t.equal(code, 0, `devnet exits 0 (stderr: ${stderr.slice(-500)})`)
  const lines = stdout.trim().split('\n').map((l) => JSON.parse(l) as StatusLine)
  t.ok(lines.length > 0, 'JSON status lines')
  const pids = pidsOf(lines)
  t.ok(pids.length >= 5, `pids of 4 members and the external rollup: ${pids.join(', ')}`)
  t.same(pids.filter(running), [], 'no child process is left running after --duration')
  const last = lines.at(-1)!
  t.ok(last.firstFinalMs !== null, `first final batch after ${((last.firstFinalMs ?? 0) / 1000).toFixed(1)} s of the devnet process`)
  t.ok(last.external !== null && last.external.running && (last.external.height ?? -1) >= 0, 'the external rollup process is running and executing heights')

  const summary = JSON.parse(await readFile(summaryFile, 'utf8')) as {
    nodes: number, heights: number[], agreed: boolean, submitted: number, acknowledged: number, committed: number, lost: number,
    state_roots_agree: boolean | null, latency_ms: { p50: number | null },
    state_roots: { aligned: boolean, compared: number, latest: Record<string, { height: number, stateRoot: string }> }
  }
  t.equal(summary.nodes, 4)
  t.ok(summary.heights.every((h) => h >= 0), `every member has final batches (heights ${summary.heights.join(', ')})`)
  t.equal(summary.agreed, true, 'all members hold the same batches')
  t.ok(summary.submitted > 100, `${summary.submitted} submitted`)
  t.equal(summary.lost, 0, 'no acknowledged tx lost')
  t.equal(summary.committed, summary.acknowledged, 'every acknowledged tx final')
  t.equal(summary.state_roots_agree, true, 'toy rollup state roots agree across members and the external process')
  t.equal(summary.state_roots.aligned, true, 'all sources reached one height at the end')
  const external = summary.state_roots.latest['external/1']
  t.ok(external !== undefined, 'the external rollup reported')
  for (let i = 0; i < 4; i++) t.same(summary.state_roots.latest[`node-${i}/1`], external, `node-${i}'s token rollup = the external process (height and root)`)
  t.comment(`p50 submit -> final slice ${summary.latency_ms.p50} ms; ${summary.state_roots.compared} heights compared`)
})
