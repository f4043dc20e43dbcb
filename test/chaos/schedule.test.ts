/** The fault schedule is a pure function of the seed and keeps to its bounds. */
import t from 'tap'
import { ALL_FAULT_KINDS, maxFaulty, parseFaultKinds, planFaults } from '../../chaos/schedule.js'

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
      } else if (f.kind === 'one-way-partition') {
        if (f.targets.length !== 2 || f.targets[0] === f.targets[1]) t.fail(`seed ${seed} #${f.seq}: a one-way partition names two distinct members`)
      } else if (f.kind.endsWith('leader')) {
        if (f.targets.length !== 0) t.fail(`seed ${seed} #${f.seq}: leader faults resolve their target at run time`)
      } else if (f.targets.length !== 1 || f.targets[0]! < 0 || f.targets[0]! > 3) {
        t.fail(`seed ${seed} #${f.seq}: one member of 0..3`)
      }
      if (f.kind.startsWith('freeze') && f.downMs < 2 * opts.baseTimeoutMs) t.fail(`seed ${seed} #${f.seq}: a freeze outlasts two round timeouts`)
      if (f.kind === 'clock-skew' && Math.abs(f.skewMs ?? 0) !== 10_000) t.fail(`seed ${seed} #${f.seq}: a clock skew is 10 s either way`)
      if (f.kind === 'disk-fault' && (f.disk === undefined || f.disk.paths.length === 0)) t.fail(`seed ${seed} #${f.seq}: a disk fault names its paths`)
      if ((f.skewMs !== undefined) !== (f.kind === 'clock-skew') || (f.disk !== undefined) !== (f.kind === 'disk-fault')) t.fail(`seed ${seed} #${f.seq}: details only on their kind`)
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

t.test('--faults restricts the kinds and keeps their schedule', async (t) => {
  const kinds = parseFaultKinds('disk-fault, one-way-partition,disk-fault')
  t.same(kinds, ['one-way-partition', 'disk-fault'], 'trimmed, deduplicated, in the canonical order')
  for (let seed = 0; seed < 20; seed++) {
    const plan = planFaults({ ...opts, seed, kinds })
    if (!plan.every((f) => kinds.includes(f.kind))) t.fail(`seed ${seed}: a kind outside --faults`)
    if (new Set(plan.slice(0, 2).map((f) => f.kind)).size !== 2) t.fail(`seed ${seed}: each chosen kind first`)
  }
  t.throws(() => parseFaultKinds('freeze,unplug'), /unknown fault kinds: unplug/)
  t.throws(() => parseFaultKinds(' , '), /none given/)
  const old = ['kill-leader', 'kill-random', 'freeze', 'freeze-leader', 'wipe', 'quorum-loss'] as const
  t.equal(planFaults({ ...opts, seed: 13, durationMs: 20_000, kinds: old })[0]?.kind, 'wipe', "the process faults alone keep seed 13's first fault (chaos.test.ts)")
})
