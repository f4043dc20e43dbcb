/**
 * The campaign checker cannot be vacuous: a clean observation passes, and each kind of
 * tampering (a lost acknowledged tx, a tx counted twice, diverging batches, members at
 * different heights, a wrong tx status, disagreeing state roots, an invalid batch) is
 * reported as its own violation.
 */
import t from 'tap'
import { checkObservation, ViolationKind, type NodeObservation, type Observation } from '../../chaos/check.js'

const hex = (tag: string): string => tag.padEnd(64, '0')

/** Three members, heights 0..2, txs a b at height 0, c at 1, none at 2; a b c acknowledged. */
function cleanObservation (): Observation {
  const counted = [[hex('a'), hex('b')], [hex('c')], []]
  const node = (index: number): NodeObservation => ({
    index,
    height: 2,
    batchHashes: [hex('h0'), hex('h1'), hex('h2')],
    batchDigests: [hex('d0'), hex('d1'), hex('d2')],
    txStatus: new Map([
      [hex('a'), { status: 'committed', height: 0, index: 0 }],
      [hex('b'), { status: 'committed', height: 0, index: 1 }],
      [hex('c'), { status: 'committed', height: 1, index: 0 }]
    ]),
    stateRoots: [{ rollupId: 1, height: 2, stateRoot: hex('r1') }, { rollupId: 2, height: 2, stateRoot: hex('r2') }],
    readProblems: []
  })
  return { acknowledged: [hex('a'), hex('b'), hex('c')], countedTxs: counted, nodes: [node(0), node(1), node(2)] }
}

const kinds = (obs: Observation): string[] => checkObservation(obs).violations.map((v) => v.kind)

t.test('a clean observation passes with the right counts', async (t) => {
  const result = checkObservation(cleanObservation())
  t.same(result.violations, [])
  t.match(result, { acknowledged: 3, committed: 3, lost: 0, committedUnacknowledged: 0, height: 2 })
})

t.test('an acknowledged tx missing from the chain is lost', async (t) => {
  const obs = cleanObservation()
  obs.countedTxs = [[hex('a'), hex('b')], [], []]
  for (const n of obs.nodes) n.txStatus.set(hex('c'), { status: 'pending' })
  const result = checkObservation(obs)
  t.ok(kinds(obs).includes(ViolationKind.lost), 'reported as lost')
  t.equal(result.lost, 1)
  t.equal(result.committed, 2)
})

t.test('an acknowledged tx nobody ever counted and nobody knows is lost', async (t) => {
  const obs = cleanObservation()
  obs.acknowledged = [...obs.acknowledged, hex('z')]
  t.same(kinds(obs), [ViolationKind.lost])
})

t.test('a tx counted at two heights is a duplicate', async (t) => {
  const obs = cleanObservation()
  obs.countedTxs = [[hex('a'), hex('b')], [hex('c')], [hex('a')]]
  t.ok(kinds(obs).includes(ViolationKind.duplicate))
})

t.test('one member with another batch hash at one height diverges', async (t) => {
  const obs = cleanObservation()
  obs.nodes[2]!.batchHashes[1] = hex('evil')
  const result = checkObservation(obs)
  t.same(kinds(obs), [ViolationKind.diverged])
  t.match(result.violations[0]!.detail, /height 1: node-0 .* node-2/)
})

t.test('the same header hash over different content diverges too', async (t) => {
  const obs = cleanObservation()
  obs.nodes[1]!.batchDigests[0] = hex('other')
  t.same(kinds(obs), [ViolationKind.diverged])
})

t.test('members at different heights after the drain', async (t) => {
  const obs = cleanObservation()
  obs.nodes[0]!.height = 3
  obs.nodes[0]!.batchHashes.push(hex('h3'))
  obs.nodes[0]!.batchDigests.push(hex('d3'))
  t.same(kinds(obs), [ViolationKind.heightMismatch])
})

t.test('a member that places a tx elsewhere, or does not know it, is a status mismatch', async (t) => {
  const moved = cleanObservation()
  moved.nodes[1]!.txStatus.set(hex('b'), { status: 'committed', height: 0, index: 0 })
  t.same(kinds(moved), [ViolationKind.statusMismatch])
  const unknown = cleanObservation()
  unknown.nodes[2]!.txStatus.delete(hex('c'))
  t.same(kinds(unknown), [ViolationKind.statusMismatch])
})

t.test('state roots or executed heights that differ', async (t) => {
  const root = cleanObservation()
  root.nodes[1]!.stateRoots![1]!.stateRoot = hex('fork')
  t.same(kinds(root), [ViolationKind.stateRoot])
  const behind = cleanObservation()
  behind.nodes[2]!.stateRoots![0]!.height = 1
  t.same(kinds(behind), [ViolationKind.stateRoot])
  const missing = cleanObservation()
  missing.nodes[0]!.stateRoots = null
  t.same(kinds(missing), [ViolationKind.stateRoot])
})

t.test('read problems and unreachable members are violations', async (t) => {
  const bad = cleanObservation()
  bad.nodes[0]!.readProblems.push('batch 1 invalid: payload root differs from the payload')
  t.same(kinds(bad), [ViolationKind.invalidChain])
  const gone = cleanObservation()
  gone.nodes[1]!.height = -1
  t.same(kinds(gone), [ViolationKind.unreachable])
})

t.test('a tx final without an acknowledgement is counted, not a violation', async (t) => {
  const obs = cleanObservation()
  obs.countedTxs = [[hex('a'), hex('b')], [hex('c'), hex('x')], []]
  const result = checkObservation(obs)
  t.same(result.violations, [])
  t.equal(result.committedUnacknowledged, 1)
})
