/**
 * A short chaos campaign end to end, as `npm run chaos` runs it: four member processes,
 * load through the API, seed 13's schedule over the process faults (first a wiped member
 * rejoining from scratch through sync; a leader kill follows when the machine is quick
 * enough to fit it), and the outside checks. It must exit 0 and write a result with
 * nothing lost. (That the checks can fail is shown by check.test.ts on tampered
 * observations; the newer faults have their own campaign in new-faults.test.ts.)
 */
import t from 'tap'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { runChaos } from './run-chaos.js'

const SEED = 13
/** long enough for the wipe, its sync and recovery; kept short so the file stays under a minute */
const DURATION_S = 20
const PROCESS_FAULTS = 'kill-leader,kill-random,freeze,freeze-leader,wipe,quorum-loss'

t.test(`chaos campaign, seed ${SEED}, ${DURATION_S} s: passes and records its figures`, async (t) => {
  const { code, output, out, result: maybe } = await runChaos(t, ['--duration', String(DURATION_S), '--seed', String(SEED), '--faults', PROCESS_FAULTS])
  t.equal(code, 0, 'exit status 0')
  if (code !== 0) t.comment(output.slice(-6000))

  const result = maybe!
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
