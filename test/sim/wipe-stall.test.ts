/**
 * Issue #12: a wiped member (down 1.2 s, then listening for maxTimeoutMs before it signs)
 * stalled the other three for 1 + 2 + 4 + 8 base timeouts: in the rotations here every
 * round after the wipe was led by it or sent it its votes, so no QC formed, nothing was
 * committed for the leader choice to learn from, and the timer doubled each round. With
 * votes going to every member after a TC (consensus-core.ts `#votesToAll`), only rounds
 * it leads time out. Without that, each of these runs stalls 15 base timeouts (6.0-6.5 s).
 */
import t from 'tap'
import type { CoreAction } from '../../src/ordering/consensus-core.js'
import { expectRunOk } from './expect-run.js'
import { Simulation, defaultSimTiming, type ScriptStep } from './simulation.js'

const WIPE_AT = 5000
const DOWN_MS = 1200
/** three timeouts in a row (1 + 2 + 4 base), the most two rounds led by the listening member and one lost vote cost, with room for the network */
const MAX_STALL_MS = 10 * defaultSimTiming.baseTimeoutMs

function longestStall (seed: number, wiped: number): { stallMs: number, fromMs: number, result: ReturnType<Simulation['run']> } {
  const others = [0, 1, 2, 3].filter((id) => id !== wiped)
  const watched = others[0]!
  const script: ScriptStep[] = []
  for (let at = 200, k = 0; at < 20_000; at += 37, k++) script.push({ at, action: 'submit', who: others[k % others.length]! })
  script.push({ at: WIPE_AT, action: 'wipe', who: wiped }, { at: WIPE_AT + DOWN_MS, action: 'restart', who: wiped })
  const commits: number[] = []
  const sim = new Simulation({
    seed,
    byzantine: [],
    faults: { crashes: 0, partitions: 0, dropP: 0, dupP: 0, longDelayP: 0 },
    txCount: 0,
    faultPhaseMs: 22_000,
    script,
    hooks: {
      afterStep: (sim, node, _event, actions: readonly CoreAction[]) => {
        if (node === watched && actions.some((a) => a.type === 'commit')) commits.push(sim.now)
      }
    }
  })
  const result = sim.run()
  let stallMs = 0
  let fromMs = 0
  for (let i = 1; i < commits.length; i++) {
    const gap = commits[i]! - commits[i - 1]!
    if (commits[i]! > WIPE_AT && gap > stallMs) {
      stallMs = gap
      fromMs = commits[i - 1]!
    }
  }
  return { stallMs, fromMs, result }
}

t.test('while a wiped member is down and listening, the other three keep committing', async (t) => {
  const cases = [[3, 3], [8, 3], [9, 1], [9, 3], [11, 1], [11, 3], [12, 3]] as const
  for (const [seed, wiped] of cases) {
    const run = longestStall(seed, wiped)
    if (!expectRunOk(t, run.result, `seed ${seed}, r${wiped} wiped`)) return
    t.ok(run.stallMs <= MAX_STALL_MS, `seed ${seed}, r${wiped} wiped: longest time without a commit ${run.stallMs} ms (from ${run.fromMs} ms), at most ${MAX_STALL_MS}`)
  }
})
