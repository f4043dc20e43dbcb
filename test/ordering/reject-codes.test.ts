/**
 * The reject classifier: each rule refuses with its own code, and each code has the
 * verdict and penalty the peer score expects. Expected codes are written out as the wire
 * strings (the metric labels), not taken from the module under test.
 */
import t from 'tap'
import { batchHash } from '../../src/batch/index.js'
import type { BatchHeader } from '../../src/codec/index.js'
import { verifyEd25519 } from '../../src/crypto/index.js'
import type { BlockPayload } from '../../src/ordering/block-payload.js'
import type { CoreAction } from '../../src/ordering/consensus-core.js'
import {
  ProposalScreen, checkPayloadChunks, checkPayloadMatches, checkProposalClock, checkProposalJustification, checkProposalParent
} from '../../src/ordering/proposal-validation.js'
import { consensusRejectPolicies } from '../../src/ordering/reject-codes.js'
import { CHAIN, committeeKeys, coreOf, header, proposal, qc, tc, timeout, vote } from './consensus-fixtures.js'

const rejectsOf = (actions: CoreAction[]): string[] => actions.flatMap((a) => a.type === 'reject' ? [`${a.kind}:${a.code}`] : [])

t.test('every code has a verdict and a penalty that fits it', async (t) => {
  const expected: Record<string, [string, number]> = {
    CONSENSUS_MALFORMED: ['REJECT', 20],
    CONSENSUS_NOT_LEADER: ['REJECT', 25],
    CONSENSUS_LEADER_UNKNOWN: ['IGNORE', 0],
    CONSENSUS_WRONG_CHAIN: ['REJECT', 25],
    CONSENSUS_BAD_SIGNATURE: ['REJECT', 25],
    CONSENSUS_NOT_EXTENDING_QC: ['REJECT', 25],
    CONSENSUS_ROUND_NOT_JUSTIFIED: ['REJECT', 25],
    CONSENSUS_TC_NOT_PREVIOUS_ROUND: ['REJECT', 25],
    CONSENSUS_TIMESTAMP_BEFORE_PARENT: ['REJECT', 25],
    CONSENSUS_FUTURE_TIMESTAMP: ['IGNORE', 0],
    CONSENSUS_BELOW_COMMITTED_TIP: ['IGNORE', 2],
    CONSENSUS_MISSING_CHUNK: ['IGNORE', 2],
    CONSENSUS_DUPLICATE_CHUNK: ['REJECT', 25],
    CONSENSUS_PAYLOAD_MISMATCH: ['REJECT', 25],
    CONSENSUS_WRONG_SENDER: ['REJECT', 25],
    CONSENSUS_NOT_A_MEMBER: ['REJECT', 25],
    CONSENSUS_EQUIVOCATION: ['REJECT', 50],
    CONSENSUS_TIMEOUT_QC_NOT_BELOW_ROUND: ['REJECT', 25],
    CONSENSUS_BAD_CERTIFICATE: ['REJECT', 25],
    CONSENSUS_FUTURE_ROUND: ['IGNORE', 2]
  }
  const actual = Object.fromEntries(Object.entries(consensusRejectPolicies).map(([code, p]) => [code, [p.verdict, p.penalty]]))
  t.same(actual, expected)
  // An IGNORE never bans an honest member that lags: far fewer than 50 of them per half-life would be needed.
  for (const [code, [verdict, penalty]] of Object.entries(expected)) if (verdict === 'IGNORE') t.ok(penalty <= 2, `${code} costs little`)
})

t.test('proposal screen: sender, chain and signature', async (t) => {
  const screen = new ProposalScreen({ chainId: CHAIN, committeeKeys, verify: verifyEd25519, batchHash, leaderOf: (round) => round % committeeKeys.length })
  const good = proposal(header({ round: 1 }))
  const ok = screen.screen(1, good)
  t.ok(ok.ok, 'the leader of round 1 with a good signature passes')
  t.same(screen.screen(2, proposal(header({ round: 1, proposer: 2 }), { signer: 2 })), { ok: false, code: 'CONSENSUS_LEADER_UNKNOWN' }, 'sent by a member that does not lead the round (by our committed chain)')
  t.same(screen.screen(2, good), { ok: false, code: 'CONSENSUS_NOT_LEADER' }, 'sent by another member than its proposer')
  t.same(screen.screen(1, proposal(header({ round: 1, proposer: 2 }), { signer: 2 })), { ok: false, code: 'CONSENSUS_NOT_LEADER' }, 'proposer field names another member')
  t.same(screen.screen(1, proposal(header({ round: 1, chainId: 'other' }))), { ok: false, code: 'CONSENSUS_WRONG_CHAIN' })
  t.same(screen.screen(1, proposal(header({ round: 1, timestamp: 7 }), { badSignature: true })), { ok: false, code: 'CONSENSUS_BAD_SIGNATURE' })
  t.same(screen.screen(1, proposal(header({ round: 1, timestamp: 8 }), { signer: 2 })), { ok: false, code: 'CONSENSUS_BAD_SIGNATURE' }, 'signed by another member')
  const forged = { ...good, signature: proposal(header({ round: 1 }), { badSignature: true }).signature }
  t.same(screen.screen(1, forged), { ok: false, code: 'CONSENSUS_BAD_SIGNATURE' }, 'a known proposal with another signature is checked again')
})

t.test('proposal clock', async (t) => {
  t.equal(checkProposalClock(header({ timestamp: 10_001 }), 5000, 5000), 'CONSENSUS_FUTURE_TIMESTAMP')
  t.equal(checkProposalClock(header({ timestamp: 10_000 }), 5000, 5000), null)
})

t.test('proposal justification: QC, TC, round', async (t) => {
  const parent = new Uint8Array(32).fill(9)
  const q5 = qc(5, 3, parent)
  t.equal(checkProposalJustification(proposal(header({ round: 6, height: 4, parentHash: parent }), { justify: q5 })), null, 'the round after its QC')
  t.equal(checkProposalJustification(proposal(header({ round: 6, height: 4, parentHash: new Uint8Array(32) }), { justify: q5 })), 'CONSENSUS_NOT_EXTENDING_QC', 'another parent')
  t.equal(checkProposalJustification(proposal(header({ round: 6, height: 5, parentHash: parent }), { justify: q5 })), 'CONSENSUS_NOT_EXTENDING_QC', 'a height gap')
  t.equal(checkProposalJustification(proposal(header({ round: 5, height: 4, parentHash: parent }), { justify: q5 })), 'CONSENSUS_NOT_EXTENDING_QC', 'not after the QC round')
  t.equal(checkProposalJustification(proposal(header({ round: 8, height: 4, parentHash: parent }), { justify: q5, tc: tc(6) })), 'CONSENSUS_TC_NOT_PREVIOUS_ROUND')
  t.equal(checkProposalJustification(proposal(header({ round: 8, height: 4, parentHash: parent }), { justify: q5, tc: tc(7) })), null, 'the round after its TC')
  t.equal(checkProposalJustification(proposal(header({ round: 900, height: 4, parentHash: parent }), { justify: q5 })), 'CONSENSUS_ROUND_NOT_JUSTIFIED', 'a far round with neither')
})

t.test('proposal parent', async (t) => {
  t.equal(checkProposalParent(header({ timestamp: 50 }), null), 'CONSENSUS_BELOW_COMMITTED_TIP')
  t.equal(checkProposalParent(header({ timestamp: 50 }), { hash: new Uint8Array(32), height: 0, round: 1, timestamp: 51 }), 'CONSENSUS_TIMESTAMP_BEFORE_PARENT')
  t.equal(checkProposalParent(header({ timestamp: 51 }), { hash: new Uint8Array(32), height: 0, round: 1, timestamp: 51 }), null)
})

t.test('proposal payload', async (t) => {
  const a = new Uint8Array(32).fill(1)
  const b = new Uint8Array(32).fill(2)
  const hexA = '01'.repeat(32)
  const hexB = '02'.repeat(32)
  const held = (hex: string): boolean => hex === hexA || hex === hexB
  t.equal(checkPayloadChunks(header({ chunkDigests: [a, new Uint8Array(32).fill(3)] }), held), 'CONSENSUS_MISSING_CHUNK')
  t.equal(checkPayloadChunks(header({ chunkDigests: [a, a] }), held), 'CONSENSUS_DUPLICATE_CHUNK')
  t.equal(checkPayloadChunks(header({ chunkDigests: [a, b] }), held), null)
  const root = new Uint8Array(32).fill(7)
  const payload = { chunkDigestHexes: [hexA], counted: [{}, {}], payloadRoot: root, namespaces: [{ rollupId: 1, count: 2 }] } as unknown as BlockPayload
  const matching: Partial<BatchHeader> = { chunkDigests: [a], txCount: 2, payloadRoot: root, namespaces: [{ rollupId: 1, count: 2 }] }
  t.equal(checkPayloadMatches(header(matching), payload), null)
  t.equal(checkPayloadMatches(header({ ...matching, txCount: 3 }), payload), 'CONSENSUS_PAYLOAD_MISMATCH', 'tx count')
  t.equal(checkPayloadMatches(header({ ...matching, payloadRoot: new Uint8Array(32) }), payload), 'CONSENSUS_PAYLOAD_MISMATCH', 'payload root')
  t.equal(checkPayloadMatches(header({ ...matching, namespaces: [{ rollupId: 2, count: 2 }] }), payload), 'CONSENSUS_PAYLOAD_MISMATCH', 'namespace table')
  t.equal(checkPayloadMatches(header({ ...matching, chunkDigests: [a, b] }), payload), 'CONSENSUS_PAYLOAD_MISMATCH', 'chunk count')
})

t.test('the core refuses proposals under the same codes', async (t) => {
  const core = coreOf(3)
  core.step({ type: 'start' })
  t.same(rejectsOf(core.step({ type: 'proposal', from: 1, proposal: proposal(header({ round: 1 }), { badSignature: true }) })), ['proposal:CONSENSUS_BAD_SIGNATURE'])
  t.same(rejectsOf(core.step({ type: 'proposal', from: 1, proposal: proposal(header({ round: 6, proposer: 1 }), { signer: 1 }) })), ['proposal:CONSENSUS_LEADER_UNKNOWN'])
  t.same(rejectsOf(core.step({ type: 'proposal', from: 2, proposal: proposal(header({ round: 1, timestamp: 3 })) })), ['proposal:CONSENSUS_NOT_LEADER'])
  t.same(rejectsOf(core.step({ type: 'proposal', from: 1, proposal: proposal(header({ round: 9 })) })), ['proposal:CONSENSUS_ROUND_NOT_JUSTIFIED'])
  const badQc = qc(1, 0, new Uint8Array(32).fill(4), [0, 1])
  t.same(rejectsOf(core.step({ type: 'proposal', from: 2, proposal: proposal(header({ round: 2, height: 1, parentHash: badQc.batchHash }), { justify: badQc }) })), ['certificate:CONSENSUS_BAD_CERTIFICATE'], 'a QC below quorum')
  const actions = core.step({ type: 'proposal', from: 1, proposal: proposal(header({ round: 1, timestamp: 5 })) })
  t.same(rejectsOf(actions), [], 'a good proposal')
  t.ok(actions.some((a) => a.type === 'send' && a.message.kind === 'vote'), 'is voted for')
})

t.test('the core refuses votes and timeouts under their codes', async (t) => {
  // Member 1 leads round 5: it collects the votes of round 4.
  const core = coreOf(1)
  core.step({ type: 'start' })
  t.same(rejectsOf(core.step({ type: 'vote', from: 2, vote: vote(2, 5) })), [], 'a vote of a round it does not collect (votes go to all after a TC): counted')
  t.same(rejectsOf(core.step({ type: 'vote', from: 3, vote: vote(2, 4) })), ['vote:CONSENSUS_WRONG_SENDER'])
  t.same(rejectsOf(core.step({ type: 'vote', from: 2, vote: vote(2, 4, { badSignature: true }) })), ['vote:CONSENSUS_BAD_SIGNATURE'])
  t.same(rejectsOf(core.step({ type: 'vote', from: 2, vote: vote(2, 4) })), [], 'a first vote')
  t.same(rejectsOf(core.step({ type: 'vote', from: 2, vote: vote(2, 4) })), [], 'the same vote again')
  t.same(rejectsOf(core.step({ type: 'vote', from: 2, vote: vote(2, 4, { batchHash: new Uint8Array(32).fill(200) }) })), ['vote:CONSENSUS_EQUIVOCATION'])
  t.same(rejectsOf(core.step({ type: 'vote', from: 2, vote: vote(2, 400) })), [], 'a vote too far ahead: dropped silently (votes to all reach members far behind)')
  t.same(rejectsOf(core.step({ type: 'timeout', from: 2, timeout: { ...timeout(2, 3), voter: 9 } })), ['timeout:CONSENSUS_NOT_A_MEMBER'])
  t.same(rejectsOf(core.step({ type: 'timeout', from: 2, timeout: timeout(2, 0) })), ['timeout:CONSENSUS_TIMEOUT_QC_NOT_BELOW_ROUND'])
  t.same(rejectsOf(core.step({ type: 'timeout', from: 2, timeout: { ...timeout(2, 3), signature: timeout(2, 4).signature } })), ['timeout:CONSENSUS_BAD_SIGNATURE'])
  t.same(rejectsOf(core.step({ type: 'timeout', from: 2, timeout: timeout(2, 400) })), ['timeout:CONSENSUS_FUTURE_ROUND'])
  t.same(rejectsOf(core.step({ type: 'certificate', from: 2, certificate: qc(3, 0, new Uint8Array(32).fill(5), [2]) })), ['certificate:CONSENSUS_BAD_CERTIFICATE'])
})
