/**
 * Longer adversarial run for the latency figures: the same scenario as
 * byzantine-member.test.ts with longer phases, printing calm vs attack medians and their
 * ratio. Run on a quiet machine:
 *   node --import ./src/polyfills/register.js --import tsx test/adversarial/measure.ts [calmS floodS recoveryS]
 */
import { median } from './helpers/committee.js'
import { runScenario } from './helpers/scenario.js'

const [calmS = 20, floodS = 10, recoveryS = 10] = process.argv.slice(2).map(Number)
const teardowns: Array<() => unknown> = []
try {
  const r = await runScenario({ teardown: (fn) => { teardowns.push(fn) } }, {
    calmMs: calmS * 1000,
    floodMs: floodS * 1000,
    recoveryMs: recoveryS * 1000,
    log: (line) => { console.log(line) }
  })
  const calm = median(r.latency.calm)
  const attack = median(r.latency.attack)
  console.log(JSON.stringify({
    calmMedianMs: Math.round(calm),
    attackMedianMs: Math.round(attack),
    recoveryMedianMs: Math.round(median(r.latency.recovery)),
    ratio: Number((attack / calm).toFixed(2)),
    samples: { calm: r.latency.calm.length, attack: r.latency.attack.length, recovery: r.latency.recovery.length },
    failures: r.latency.failures.length,
    refused: r.attacks.map((a) => ({ what: a.what, reason: a.reason, counted: a.after > a.before })),
    alive: r.alive
  }, null, 2))
  process.exitCode = r.alive.every(Boolean) && r.attacks.every((a) => a.after > a.before) ? 0 : 1
} finally {
  for (const fn of teardowns.reverse()) await fn()
}
