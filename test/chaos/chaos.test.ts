/**
 * A short chaos campaign end to end, as `npm run chaos` runs it: four member processes,
 * load through the API, seed 13's schedule (first a wiped member rejoining from scratch
 * through sync; a leader kill follows when the machine is quick enough to fit it), and the
 * outside checks. It must
 * exit 0 and write a result with nothing lost. (That the checks can fail is shown by
 * check.test.ts on tampered observations.)
 */
import t from 'tap'
import { spawn } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { CampaignResult } from '../../chaos/campaign.js'
import { repoRoot, tempDir } from '../helpers/node-process.js'

const SEED = 13
/** long enough for the wipe, its sync and recovery; kept short so the file stays under a minute */
const DURATION_S = 20

t.test(`chaos campaign, seed ${SEED}, ${DURATION_S} s: passes and records its figures`, async (t) => {
  const out = await tempDir(t, 'seqnode-chaos-')
  const child = spawn(process.execPath, ['--import', './src/polyfills/register.js', '--import', 'tsx', 'chaos/chaos.ts', '--duration', String(DURATION_S), '--seed', String(SEED), '--out', out], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let output = ''
  child.stdout.on('data', (d: Buffer) => { output += d.toString() })
  child.stderr.on('data', (d: Buffer) => { output += d.toString() })
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  // The runner kills its members on SIGTERM; SIGKILL only if it does not go.
  t.teardown(async () => {
    if (child.exitCode !== null || child.signalCode !== null) return
    child.kill('SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
    await exited
    clearTimeout(timer)
  })
  const code = await exited
  t.equal(code, 0, 'exit status 0')
  if (code !== 0) t.comment(output.slice(-6000))

  const result = JSON.parse(await readFile(join(out, 'chaos-result.json'), 'utf8')) as CampaignResult
  t.equal(result.passed, true, 'the result says passed')
  t.same(result.violations, [], 'no violations')
  t.equal(result.seed, SEED)
  t.ok(result.faults.length >= 1, `${result.faults.length} faults injected`)
  t.equal(result.faults[0]?.kind, 'wipe', "the schedule's first fault is a wipe")
  t.ok(result.faults.every((f) => f.recoveredAtS !== null), 'the committee recovered after every fault')
  t.ok(result.txs.acknowledged > 100, `${result.txs.acknowledged} txs acknowledged`)
  t.equal(result.txs.lost, 0, 'none lost')
  t.equal(result.txs.committed, result.txs.acknowledged, 'every acknowledged tx committed exactly once')
  t.ok(result.longestStall !== null && result.longestStall.ms > 0, `longest stall ${result.longestStall?.ms} ms`)
  t.ok(result.finalHeight > 0, `final height ${result.finalHeight}`)
  t.match(output, /\[\+\s*\d+\.\d s\] #1 wipe: SIGKILL node-\d/, 'the fault is logged with its time offset')
  const summary = await readFile(join(out, 'chaos-summary.txt'), 'utf8')
  t.match(summary, /PASSED/)
  t.match(summary, /lost 0/)
  t.comment(summary)
})
