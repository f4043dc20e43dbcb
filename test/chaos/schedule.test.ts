/** The fault schedule is a pure function of the seed and keeps to its bounds. */
import t from 'tap'
import { ALL_FAULT_KINDS, maxFaulty, planFaults } from '../../chaos/schedule.js'

const opts = { durationMs: 600_000, nodes: 4, baseTimeoutMs: 1000 }

t.test('the same seed gives the same schedule; another seed another one', async (t) => {
  t.same(planFaults({ ...opts, seed: 7 }), planFaults({ ...opts, seed: 7 }))
  t.not(JSON.stringify(planFaults({ ...opts, seed: 7 })), JSON.stringify(planFaults({ ...opts, seed: 8 })))
})

t.test('every kind comes once first; bounds on targets and durations', async (t) => {
  for (let seed = 0; seed < 50; seed++) {
    const plan = planFaults({ ...opts, seed })
    t.same(new Set(plan.slice(0, ALL_FAULT_KINDS.length).map((f) => f.kind)), new Set(ALL_FAULT_KINDS), `seed ${seed}: each kind in the first ${ALL_FAULT_KINDS.length}`)
    for (const f of plan) {
      if (f.kind === 'quorum-loss') {
        if (f.targets.length !== maxFaulty(4) + 1 || new Set(f.targets).size !== f.targets.length) t.fail(`seed ${seed} #${f.seq}: quorum loss hits f + 1 distinct members`)
      } else if (f.kind.endsWith('leader')) {
        if (f.targets.length !== 0) t.fail(`seed ${seed} #${f.seq}: leader faults resolve their target at run time`)
      } else if (f.targets.length !== 1 || f.targets[0]! < 0 || f.targets[0]! > 3) {
        t.fail(`seed ${seed} #${f.seq}: one member of 0..3`)
      }
      if (f.kind.startsWith('freeze') && f.downMs < 2 * opts.baseTimeoutMs) t.fail(`seed ${seed} #${f.seq}: a freeze outlasts two round timeouts`)
    }
  }
  t.pass('bounds hold for 50 seeds')
})

t.test('the plan fills the duration and no more', async (t) => {
  const short = planFaults({ ...opts, durationMs: 20_000, seed: 1 })
  const long = planFaults({ ...opts, seed: 1 })
  t.ok(short.length >= 1 && short.length < long.length, `${short.length} faults for 20 s, ${long.length} for 600 s`)
  t.same(short, long.slice(0, short.length), 'a shorter campaign runs a prefix of the longer one')
})
