/**
 * The simulator with real ed25519 (src/crypto) instead of the fast stand-in, on shorter
 * fault phases (ed25519 verification is what a run spends its time on), and checks that
 * the stand-in keeps forged signatures detectable.
 */
import t from 'tap'
import { Prng } from './prng.js'
import { expectRunOk } from './expect-run.js'
import { makeCommittee } from './sim-crypto.js'
import { runSimulation } from './simulation.js'

const REAL_SEEDS = 60

t.test(`real ed25519, n = 4: ${REAL_SEEDS} seeds`, async (t) => {
  for (let seed = 1; seed <= REAL_SEEDS; seed++) {
    if (!expectRunOk(t, runSimulation({ seed, realCrypto: true, faultPhaseMs: 10_000, txCount: 20 }))) break
  }
})

t.test('real ed25519, n = 7: 10 seeds', async (t) => {
  for (let seed = 1; seed <= 10; seed++) {
    if (!expectRunOk(t, runSimulation({ seed, n: 7, realCrypto: true, faultPhaseMs: 10_000, txCount: 20 }))) break
  }
})

for (const real of [false, true]) {
  t.test(`${real ? 'ed25519' : 'stand-in'} signatures: bound to signer and message, forgeries fail`, async (t) => {
    const rng = new Prng(9)
    const c = makeCommittee(4, rng, real)
    const message = new TextEncoder().encode('vote for round 7')
    const sig = c.sign[1]!(message)
    t.equal(sig.length, 64)
    t.ok(c.verify(c.keys[1]!, message, sig), 'verifies for its signer')
    t.notOk(c.verify(c.keys[2]!, message, sig), 'not for another member')
    t.notOk(c.verify(c.keys[1]!, new TextEncoder().encode('vote for round 8'), sig), 'not for another message')
    for (let i = 0; i < 100; i++) t.notOk(c.verify(c.keys[1]!, message, rng.bytes(64)), 'a random 64-byte signature fails')
    const flipped = Uint8Array.from(sig)
    flipped[40]! ^= 1
    t.notOk(c.verify(c.keys[1]!, message, flipped), 'one flipped bit fails')
  })
}
