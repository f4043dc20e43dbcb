/**
 * The devnet end to end, as a user runs it: 4 member processes, the toy rollups in each,
 * load through the API, and the exit summary. Checks agreement, state roots and that no
 * acknowledged tx was lost.
 */
import t from 'tap'
import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('../..', import.meta.url))

t.test('npm run devnet -- --duration 10 --summary: agreed, same state roots, nothing lost', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'seq-devnet-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const summaryFile = join(dir, 'summary.json')
  const args = ['--import', './src/polyfills/register.js', '--import', 'tsx', 'devnet/devnet.ts',
    '--data', join(dir, 'data'), '--nodes', '4', '--load', '50', '--duration', '10', '--json', '--summary', summaryFile]
  const { code, stderr } = await new Promise<{ code: number | null, stderr: string }>((resolve) => {
    const child = execFile(process.execPath, args, { cwd: root, timeout: 120_000, maxBuffer: 64 * 1024 * 1024 }, (err) => {
      resolve({ code: err === null ? 0 : (typeof err.code === 'number' ? err.code : null), stderr: child.stderr === null ? '' : stderrText })
    })
    let stderrText = ''
    child.stderr?.on('data', (d: Buffer) => { stderrText += d.toString() })
  })
  t.equal(code, 0, `devnet exits 0 (stderr: ${stderr.slice(-500)})`)
  const summary = JSON.parse(await readFile(summaryFile, 'utf8')) as {
    nodes: number, heights: number[], agreed: boolean, submitted: number, acknowledged: number, committed: number, lost: number, state_roots_agree: boolean | null, latency_ms: { p50: number | null }
  }
  t.equal(summary.nodes, 4)
  t.ok(summary.heights.every((h) => h >= 0), `every member has final batches (heights ${summary.heights.join(', ')})`)
  t.equal(summary.agreed, true, 'all members hold the same batches')
  t.ok(summary.submitted > 100, `${summary.submitted} submitted`)
  t.equal(summary.lost, 0, 'no acknowledged tx lost')
  t.equal(summary.committed, summary.acknowledged, 'every acknowledged tx final')
  t.equal(summary.state_roots_agree, true, 'toy rollup state roots agree across members')
  t.comment(`p50 submit -> final slice ${summary.latency_ms.p50} ms`)
})
