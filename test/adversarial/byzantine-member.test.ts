/**
 * Adversarial peers against a real committee: three `seqnode` processes (members 0-2) on
 * 127.0.0.1 and an adversary on plain libp2p holding member 3's key (n = 4, f = 1), plus an
 * outsider with its own key. Each bad input must be refused under its own reason code
 * (seq_p2p_rejected_total{reason, peer="3"}), lower member 3's score, a flood must end in a
 * temporary ban, and the committee must keep finalising with no crash. Latency under attack
 * is measured against a calm phase of the same run and reported; only a generous bound is
 * asserted (the machine is shared), `measure.ts` runs longer phases for the ratio.
 */
import t from 'tap'
import { median } from './helpers/committee.js'
import { runScenario } from './helpers/scenario.js'

t.test('a Byzantine member and an outsider are refused, scored down and banned; the committee keeps finalising', async (t) => {
  const r = await runScenario(t, { calmMs: 5000, floodMs: 3000, recoveryMs: 3000, log: (line) => t.comment(line) })

  for (const a of r.attacks) t.ok(a.after > a.before, `${a.what}: node-${a.victim} counted ${a.reason} (${a.before} -> ${a.after})`)
  t.equal(r.ignored.after, r.ignored.before, `${r.ignored.what}: ignored without a penalty`)
  t.ok(r.scoresAfterAttacks.every((s) => s < 0), `member 3's score fell on every member (${r.scoresAfterAttacks.map((s) => s.toFixed(1)).join(' / ')})`)

  t.ok(r.outsider.refusedDials >= 15, `the outsider got nowhere (${r.outsider.refusedDials}/15 attempts refused)`)
  t.ok(r.outsider.notMember.every((n) => n >= 1), `each member counted P2P_NOT_MEMBER for it (${r.outsider.notMember.join('/')})`)
  t.ok(r.outsider.bans.every((n) => n >= 1), `and banned it (${r.outsider.bans.join('/')})`)

  // The frame limits derive from rounds/s with a burst of >= 1024 frames (peer-guard.ts
  // frameLimitsFor), and member 3 is already scored down by the targeted inputs, so its
  // bad-signature votes usually get it banned within that burst: the rate limit is then not
  // reached. Cutting a flood at the rate limit is tested in test/p2p/peer-guard.test.ts.
  t.comment(`flood: P2P_RATE_LIMITED ${r.flood.rateLimited.join('/')}`)
  t.ok(r.flood.bans.every((n) => n >= 1), `every member banned member 3 during the flood (${r.flood.bans.join('/')})`)

  t.same(r.alive, [true, true, true], 'no member crashed')
  t.ok(r.heights.attackEnd > r.heights.attackStart, `finalising during the attack: height ${r.heights.attackStart} -> ${r.heights.attackEnd}`)
  t.ok(r.heights.end > r.heights.attackEnd, `and after it: ${r.heights.attackEnd} -> ${r.heights.end}`)
  if (r.latency.retried.length > 0) t.comment(`submits retried after a failed connection: ${r.latency.retried.length} (${r.latency.retried.slice(0, 3).join('; ')})`)
  t.same(r.latency.failures.slice(0, 3), [], `every probe tx was acknowledged and committed (${r.latency.failures.length} failures)`)
  const calm = median(r.latency.calm)
  const attack = median(r.latency.attack)
  t.comment(`submit -> final median: calm ${calm.toFixed(0)} ms (${r.latency.calm.length} txs), under attack ${attack.toFixed(0)} ms (${r.latency.attack.length}), recovery ${median(r.latency.recovery).toFixed(0)} ms; ratio ${(attack / calm).toFixed(2)}`)
  // Liveness bound only: the 2-core machine is shared with other work.
  t.ok(attack < Math.max(5 * calm, 3000), `latency under attack stays bounded (${attack.toFixed(0)} ms vs calm ${calm.toFixed(0)} ms)`)
})
