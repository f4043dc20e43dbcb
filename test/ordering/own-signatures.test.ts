/**
 * Issue #11: a member verifies no signature it made itself (its own proposal, its own
 * vote), and each QC once, however often it arrives.
 */
import t, { type Test } from 'tap'
import type { Certificate } from '../../src/codec/index.js'
import { batchHash } from '../../src/batch/index.js'
import { verifyEd25519 } from '../../src/crypto/index.js'
import { ConsensusCore } from '../../src/ordering/consensus-core.js'
import { CHAIN, committeeKeys, header, proposal, qc, signers, vote } from './consensus-fixtures.js'

function countingCore (self: number): { core: ConsensusCore, verifies: () => number } {
  let verifies = 0
  const core = new ConsensusCore(
    { chainId: CHAIN, committeeKeys, self, baseTimeoutMs: 1000, maxTimeoutMs: 10_000 },
    { sign: (m) => signers[self]!.sign(m), verify: (k, m, s) => { verifies++; return verifyEd25519(k, m, s) }, batchHash },
    { safety: null, tip: null }
  )
  return { core, verifies: () => verifies }
}

t.test('the leader does not verify its own proposal', async (t) => {
  const { core, verifies } = countingCore(1)
  core.step({ type: 'start' })
  const asked = core.step({ type: 'work', pending: true }).find((a) => a.type === 'buildProposal')
  t.ok(asked !== undefined, 'member 1 is asked to build the proposal of round 1')
  const actions = core.step({ type: 'proposalBuilt', round: 1, header: header({ round: 1, proposer: 1 }) })
  t.ok(actions.some((a) => a.type === 'broadcast' && a.message.kind === 'proposal'), 'it proposes')
  t.ok(actions.some((a) => a.type === 'send' && a.message.kind === 'vote'), 'and votes for it')
  t.equal(verifies(), 0, 'without verifying a signature')
})

t.test('the next leader does not verify its own vote, and a QC it formed is not verified again', async (t) => {
  const { core, verifies } = countingCore(2)
  core.step({ type: 'start' })
  const h = header({ round: 1, proposer: 1 })
  core.step({ type: 'proposal', from: 1, proposal: proposal(h) })
  t.equal(verifies(), 1, 'the proposal: one verify (its genesis QC needs none; our vote goes to ourselves unverified)')
  const hash = batchHash(h)
  const formed = [0, 1].flatMap((v) => core.step({ type: 'vote', from: v, vote: vote(v, 1, { batchHash: hash, height: 0 }) }))
  t.equal(verifies(), 3, 'the votes of members 0 and 1 verified; with ours they make a quorum')
  t.equal(core.highQc.round, 1, 'the QC of round 1 formed')
  const broadcast = formed.find((a) => a.type === 'broadcast' && a.message.kind === 'certificate')
  const qc = broadcast?.type === 'broadcast' && broadcast.message.kind === 'certificate' ? broadcast.message.certificate : core.highQc
  core.step({ type: 'certificate', from: 3, certificate: qc })
  t.equal(verifies(), 3, 'the same QC arriving again costs no verify')
})

/** Member 3 after voting for member 1's block of round 1, and the QC of that block signed by 1, 2 and 3. */
function replicaThatVoted (t: Test): ReturnType<typeof countingCore> & { certificate: Certificate } {
  const replica = countingCore(3)
  replica.core.step({ type: 'start' })
  const h = header({ round: 1, proposer: 1 })
  const voted = replica.core.step({ type: 'proposal', from: 1, proposal: proposal(h) })
  t.ok(voted.some((a) => a.type === 'send' && a.message.kind === 'vote'), 'member 3 votes for the block of round 1')
  t.equal(replica.verifies(), 1, 'the proposal: one verify')
  return { ...replica, certificate: qc(1, h.height, batchHash(h), [1, 2, 3]) }
}

t.test('a replica that voted does not verify its own signature inside the QC', async (t) => {
  const { core, verifies, certificate } = replicaThatVoted(t)
  core.step({ type: 'certificate', from: 2, certificate })
  t.equal(core.highQc.round, 1, 'the QC of round 1 is accepted')
  t.equal(verifies(), 3, 'the signatures of members 1 and 2 verified, its own compared')
})

t.test('a forged signature in our own place is still refused', async (t) => {
  const { core, verifies, certificate: good } = replicaThatVoted(t)
  const forged = { ...good, signatures: good.signatures.map((s, i) => i === 2 ? s.map((b) => b ^ 1) : s) }
  const actions = core.step({ type: 'certificate', from: 2, certificate: forged })
  t.ok(actions.some((a) => a.type === 'reject'), 'refused')
  t.equal(core.highQc.round, 0, 'not taken')
  t.equal(verifies(), 4, 'the bytes differ from our signature, so it was verified (and failed)')
})
