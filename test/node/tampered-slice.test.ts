/**
 * A rollup's slice as a running node serves it (msgpack) verifies, and every tampering a
 * dishonest server or relay could try makes verifySlice refuse it with a reason.
 *
 * The node is a committee of one running chained HotStuff: a batch is final once its child
 * (possibly empty) is certified, so a served slice's `finality` normally holds one header,
 * the child, and the child's QC. Longer proofs (a later descendant and the QC of its child
 * from the very next round) are valid too; one is built from two served slices below.
 */
import t from 'tap'
import { randomBytes } from 'node:crypto'
import { batchHash, nodeNmt, rollupNamespace, verifySlice } from '../../src/batch/index.js'
import { SliceLeafSchema, SliceSchema, TxSchema, decode, encode, type BatchHeader, type CommitProof, type Slice } from '../../src/codec/index.js'
import { bytesToHex, Ed25519Signer, equalBytes, generateKeyPair, verifyEd25519 } from '../../src/crypto/index.js'
import { signTx } from '../../src/mempool/index.js'
import { txHash } from '../../src/batch/index.js'
import { assembleCertificate, voteMessage, type CommitteeView } from '../../src/ordering/certificate.js'
import type { SliceJson } from '../../src/api/index.js'
import { getJson, getMsgpack, makeNodeHome, startNodeProcess, submitTxBytes, waitCommitted } from '../helpers/node-process.js'

const deps = { nmt: nodeNmt, verifySignature: verifyEd25519, batchHash }

t.test('verifySlice accepts a served slice and refuses every tampered copy', async (t) => {
  // A 300 ms chunk delay lets one concurrent burst land in a single batch.
  const home = await makeNodeHome(t, { chainId: 'tamper-e2e', config: { consensus: { chunkDelayMs: 300 } } })
  const { chainId } = home.genesis
  const node = await startNodeProcess(t, home.configFile)
  const signer = new Ed25519Signer(generateKeyPair().seed)
  let nonce = 0
  const submit = async (rollups: number[][]): Promise<string[]> => {
    const txs = rollups.map((ids) => signTx(chainId, {
      actions: ids.map((rollupId) => ({ rollupId, payload: randomBytes(24) })),
      nonce: nonce++,
      expiry: Date.now() + 600_000
    }, signer))
    const replies = await Promise.all(txs.map((tx) => submitTxBytes(node.url, encode(TxSchema, tx))))
    t.same(replies.map((r) => r.status), txs.map(() => 202), `${txs.length} txs acknowledged`)
    const hashes = txs.map((tx) => bytesToHex(txHash(chainId, tx)))
    const { missing } = await waitCommitted(node.url, hashes, 10_000)
    t.equal(missing.size, 0, 'and committed')
    return hashes
  }

  // Height A: one action for rollup 1. Height B: three actions each for rollups 1 and 2.
  // Then one more tx, so that the batch right after B is final too.
  const [first] = await submit([[1]])
  const burst = await submit([[1], [1], [2], [2], [1, 2]])
  const [tail] = await submit([[2]])
  const heightOf = async (hash: string): Promise<number> => (await getJson<{ height: number }>(node.url, `/v1/txs/${hash}`)).height
  const otherHeight = await heightOf(first!)
  const burstHeights = await Promise.all(burst.map(heightOf))
  const height = burstHeights[0]!
  const tailHeight = await heightOf(tail!)
  t.same(burstHeights, burst.map(() => height), `the burst is in one batch (height ${height})`)
  t.not(otherHeight, height, `the single tx is in another batch (height ${otherHeight})`)
  t.ok(tailHeight > height, `the tail tx is in a later batch (height ${tailHeight}), so height ${height + 1} is final`)

  const sliceBytes = async (rollupId: number, h: number): Promise<Uint8Array> => await getMsgpack(node.url, `/v1/rollups/${rollupId}/slices/${h}`)
  const bytes1 = await sliceBytes(1, height)
  const bytes2 = await sliceBytes(2, height)
  const bytesOther = await sliceBytes(1, otherHeight)
  const bytesNext = await sliceBytes(1, height + 1)
  const json = await getJson<SliceJson>(node.url, `/v1/rollups/1/slices/${height}`)
  t.equal(json.encoded, Buffer.from(bytes1).toString('base64'), "the JSON view's encoded slice is the msgpack reply")

  // Every case decodes its own copies, so no mutation leaks into another case.
  const slice1 = (): Slice => decode(SliceSchema, bytes1)
  const slice2 = (): Slice => decode(SliceSchema, bytes2)
  const sliceOther = (): Slice => decode(SliceSchema, bytesOther)
  const sliceNext = (): Slice => decode(SliceSchema, bytesNext)
  const committee: CommitteeView = { chainId, committeeKeys: home.genesis.committeeKeys }

  for (const [name, make] of [['rollup 1', slice1], ['rollup 2', slice2], ['rollup 1, other height', sliceOther], ['rollup 1, next height', sliceNext]] as const) {
    const check = verifySlice(committee, make(), deps)
    t.ok(check.ok, `the untouched slice of ${name} verifies${check.ok ? '' : `: ${check.reason}`}`)
  }
  const untouched = verifySlice(committee, slice1(), deps)
  const untouched2 = verifySlice(committee, slice2(), deps)
  t.equal(untouched.ok && untouched.leaves.length, 3, 'rollup 1 has three leaves at that height')
  t.equal(untouched2.ok && untouched2.leaves.length, 3, 'rollup 2 has three leaves at that height')
  const burstSet = new Set(burst)
  t.ok(untouched.ok && untouched.leaves.every((l) => burstSet.has(bytesToHex(l.txHash))), "rollup 1's leaves are the burst's txs")

  // What the one-member chain served: the proof starts at the child and ends with a
  // certified block from the round right after its parent's.
  const served = slice1()
  const proofOf = (s: Slice): string => s.finality.headers.map((h) => `${h.height}@${h.round}`).join(' ')
  t.comment(`height ${height} round ${served.header.round}; proof ${proofOf(served)}; next height's proof ${proofOf(sliceNext())}`)
  t.ok(served.finality.headers.length >= 1, `the proof has ${served.finality.headers.length} header(s)`)
  t.ok(equalBytes(served.finality.headers[0]!.parentHash, batchHash(served.header)), "the proof's first header is the batch's child")
  t.equal(served.finality.headers[0]!.height, height + 1)
  const lastOf = (p: CommitProof): BatchHeader => p.headers[p.headers.length - 1]!
  const servedLast = lastOf(served.finality)
  const servedBeforeLast = served.finality.headers.length > 1 ? served.finality.headers[served.finality.headers.length - 2]! : served.header
  t.equal(servedLast.round, servedBeforeLast.round + 1, 'the certified block is from the round right after its parent')
  t.ok(equalBytes(served.finality.certificate.batchHash, batchHash(servedLast)), 'the QC is for the last header')
  t.equal(served.finality.certificate.height, servedLast.height)
  t.equal(json.finality.certificate.batchHash, bytesToHex(served.finality.certificate.batchHash), 'the JSON view shows the same proof')
  t.same(json.finality.headers.map((h) => h.height), served.finality.headers.map((h) => h.height))
  const block0 = await getJson<{ header: { round: number } }>(node.url, '/v1/blocks/0')
  t.equal(block0.header.round, 1, 'the first batch is from round 1')

  // A longer valid proof of `height`: its child (the next height's header), then the next
  // height's own proof. The 2-chain rule only looks at the last two headers.
  const extendedProof = (): CommitProof => { const next = sliceNext(); return { version: 1, headers: [next.header, ...next.finality.headers], certificate: next.finality.certificate } }
  const withProof = (proof: CommitProof): Slice => { const s = slice1(); s.finality = proof; return s }
  const extended = verifySlice(committee, withProof(extendedProof()), deps)
  t.ok(extended.ok, `a longer proof through the next height verifies${extended.ok ? '' : `: ${extended.reason}`}`)
  t.doesNotThrow(() => decode(SliceSchema, encode(SliceSchema, withProof(extendedProof()))), 'and it is a valid wire slice')

  /**
   * A chain that is hash-linked and certified (by a key of our own, checked against a
   * committee of that key) but breaks only the 2-chain rule: the round of each header is
   * chosen, everything else is consistent. `rounds` are the rounds of the proof headers.
   */
  const forger = new Ed25519Signer(generateKeyPair().seed)
  const forgedCommittee: CommitteeView = { chainId, committeeKeys: [forger.publicKey] }
  const forged = (rounds: number[]): Slice => {
    const s = slice1()
    const headers: BatchHeader[] = []
    let parent = s.header
    for (const round of rounds) {
      const h: BatchHeader = { ...parent, height: parent.height + 1, round, parentHash: batchHash(parent), namespaces: [], chunkDigests: [], txCount: 0 }
      headers.push(h)
      parent = h
    }
    const body = { height: parent.height, round: parent.round, batchHash: batchHash(parent) }
    const certificate = assembleCertificate(1, body, new Map([[0, forger.sign(voteMessage(chainId, body))]]))
    s.finality = { version: 1, headers, certificate }
    return s
  }
  const r = served.header.round
  for (const rounds of [[r + 1], [r + 2, r + 3], [r + 1, r + 5, r + 6], [r + 3, r + 4]]) {
    const check = verifySlice(forgedCommittee, forged(rounds), deps)
    t.ok(check.ok, `the forging helper is sound: a proof with rounds ${rounds.join(', ')} after ${r} verifies under its committee${check.ok ? '' : `: ${check.reason}`}`)
  }

  const flip = (b: Uint8Array, i: number, mask = 0x01): Uint8Array => { const c = b.slice(); c[i]! ^= mask; return c }
  /** Offset of the payload inside a leaf (namespace || encode(SliceLeaf); payload is the last field). */
  const payloadOffset = (leaf: Uint8Array): number => leaf.length - decode(SliceLeafSchema, leaf.subarray(8)).payload.length

  const cases: Array<{ name: string, slice: () => Slice, reason: RegExp, committee?: CommitteeView }> = [
    // ---- leaves, namespace table and NMT proof
    { name: 'a removed leaf', slice: () => { const s = slice1(); s.leaves.splice(1, 1); return s }, reason: /slice has 2 leaves, header says 3/ },
    {
      // the header hash changes, so the proof's first header no longer extends it
      name: 'a removed leaf, namespace table edited to match',
      slice: () => { const s = slice1(); s.leaves.splice(1, 1); s.header.namespaces = s.header.namespaces.map((n) => n.rollupId === 1 ? { ...n, count: n.count - 1 } : n); return s },
      reason: /^finality: proof header 1 does not extend the one before$/
    },
    { name: 'an added leaf (copy of another)', slice: () => { const s = slice1(); s.leaves.push(s.leaves[0]!); return s }, reason: /slice has 4 leaves, header says 3/ },
    { name: 'a leaf replaced by a copy of another', slice: () => { const s = slice1(); s.leaves[2] = s.leaves[0]!; return s }, reason: /namespace proof does not verify/ },
    { name: 'two leaves swapped', slice: () => { const s = slice1(); [s.leaves[0], s.leaves[1]] = [s.leaves[1]!, s.leaves[0]!]; return s }, reason: /namespace proof does not verify/ },
    { name: 'a changed payload byte', slice: () => { const s = slice1(); s.leaves[1] = flip(s.leaves[1]!, payloadOffset(s.leaves[1]!)); return s }, reason: /namespace proof does not verify/ },

    // ---- the certificate of the proof
    {
      name: 'a proof certificate with a flipped signature bit',
      slice: () => { const s = slice1(); s.finality.certificate.signatures[0] = flip(s.finality.certificate.signatures[0]!, 10, 0x20); return s },
      reason: /^finality: certificate: signature of member 0 does not verify$/
    },
    {
      name: 'a proof certificate with an empty signer bitmap and no signatures',
      slice: () => { const s = slice1(); s.finality.certificate.signers = new Uint8Array(1); s.finality.certificate.signatures = []; return s },
      reason: /^finality: certificate: 0 signers, quorum is 1$/
    },
    {
      name: 'a proof certificate with a zero-length bitmap and no signatures',
      slice: () => { const s = slice1(); s.finality.certificate.signers = new Uint8Array(0); s.finality.certificate.signatures = []; return s },
      reason: /^finality: certificate: signer bitmap is malformed for this committee$/
    },
    {
      name: 'a proof certificate whose signatures were dropped',
      slice: () => { const s = slice1(); s.finality.certificate.signatures = []; return s },
      reason: /^finality: certificate: signature count differs from the bitmap$/
    },
    {
      name: "a proof whose certificate is another height's (headers kept)",
      slice: () => { const s = slice1(); s.finality.certificate = sliceOther().finality.certificate; return s },
      reason: /^finality: the certificate is not for the last proof header$/
    },

    // ---- the headers of the proof
    {
      // one header in a one-member chain: nothing is left (the decoder refuses an empty
      // list, but verifySlice takes objects and must not throw on one)
      name: 'the served proof with its last header dropped',
      slice: () => { const s = slice1(); s.finality.headers.pop(); return s },
      reason: /^finality: /
    },
    {
      name: 'the longer proof with its last header dropped',
      slice: () => { const p = extendedProof(); p.headers.pop(); return withProof(p) },
      reason: /^finality: the certificate is not for the last proof header$/
    },
    {
      name: "a proof whose first header's parentHash is changed",
      slice: () => { const s = slice1(); s.finality.headers[0]!.parentHash = flip(s.finality.headers[0]!.parentHash, 0); return s },
      reason: /^finality: proof header 1 does not extend the one before$/
    },
    {
      // the edited header's hash no longer matches the QC either, but the round rule is checked first
      name: "a proof whose last header's round is one later (last two rounds not consecutive)",
      slice: () => { const s = slice1(); s.finality.headers[s.finality.headers.length - 1]!.round += 1; return s },
      reason: /^finality: the certified block is not from the round right after its parent$/
    },
    {
      // making the next-to-last header one round later breaks the link to the last one first
      name: "the longer proof with its next-to-last header's round one later",
      slice: () => { const p = extendedProof(); p.headers[p.headers.length - 2]!.round += 1; return withProof(p) },
      reason: /^finality: proof header 2 does not extend the one before$/
    },
    {
      name: 'a hash-linked, certified proof whose one header is two rounds after the batch',
      slice: () => forged([r + 2]),
      committee: forgedCommittee,
      reason: /^finality: the certified block is not from the round right after its parent$/
    },
    {
      name: 'a hash-linked, certified proof whose last two headers are two rounds apart',
      slice: () => forged([r + 1, r + 3]),
      committee: forgedCommittee,
      reason: /^finality: the certified block is not from the round right after its parent$/
    },
    {
      name: 'a hash-linked, certified proof whose rounds do not increase',
      slice: () => forged([r + 1, r + 1, r + 2]),
      committee: forgedCommittee,
      reason: /^finality: proof header 2 does not increase the round$/
    },
    {
      name: 'a proof header with the wrong height',
      slice: () => { const s = slice1(); s.finality.headers[0]!.height += 1; return s },
      reason: /^finality: proof header 1 has the wrong height$/
    },
    {
      name: 'a proof header from another chain id',
      slice: () => { const s = slice1(); s.finality.headers[0]!.chainId = 'other-chain'; return s },
      reason: /^finality: a proof header is from another chain$/
    },

    // ---- a whole proof from elsewhere
    {
      name: 'a proof (headers and certificate) of another height',
      slice: () => { const s = slice1(); s.finality = sliceOther().finality; return s },
      reason: /^finality: proof header 1 does not extend the one before$/
    },
    {
      name: 'a proof of another height, header height and round edited to match',
      slice: () => { const s = slice1(); const other = sliceOther(); s.finality = other.finality; s.header.height = other.header.height; s.header.round = other.header.round; return s },
      reason: /^finality: proof header 1 does not extend the one before$/
    },
    {
      name: "the next height's proof",
      slice: () => { const s = slice1(); s.finality = sliceNext().finality; return s },
      reason: /^finality: proof header 1 does not extend the one before$/
    },
    { name: "another height's header and proof with these leaves", slice: () => { const s = sliceOther(); s.leaves = slice1().leaves; return s }, reason: /slice has 3 leaves, header says 1/ },

    // ---- chain id and committee
    { name: 'a header from another chain id', slice: () => { const s = slice1(); s.header.chainId = 'other-chain'; return s }, reason: /slice is for chain other-chain/ },
    {
      name: 'a header from another chain id, checked against that chain',
      slice: () => { const s = slice1(); s.header.chainId = 'other-chain'; return s },
      committee: { chainId: 'other-chain', committeeKeys: home.genesis.committeeKeys },
      reason: /^finality: a proof header is from another chain$/
    },
    {
      name: 'a header and proof headers from another chain id, checked against that chain',
      slice: () => { const s = slice1(); s.header.chainId = 'other-chain'; for (const h of s.finality.headers) h.chainId = 'other-chain'; return s },
      committee: { chainId: 'other-chain', committeeKeys: home.genesis.committeeKeys },
      reason: /^finality: proof header 1 does not extend the one before$/
    },
    { name: 'an untouched slice checked against another chain', slice: slice1, committee: { chainId: 'other-chain', committeeKeys: home.genesis.committeeKeys }, reason: /slice is for chain tamper-e2e/ },
    { name: 'an untouched slice checked against another committee key', slice: slice1, committee: { chainId, committeeKeys: [generateKeyPair().publicKey] }, reason: /^finality: certificate: signature of member 0 does not verify$/ },
    { name: 'an untouched slice checked against a committee of two', slice: slice1, committee: { chainId, committeeKeys: [...home.genesis.committeeKeys, generateKeyPair().publicKey] }, reason: /^finality: certificate: / },

    // ---- rollup ids
    { name: "rollup 1's slice relabelled as rollup 2", slice: () => { const s = slice1(); s.rollupId = 2; return s }, reason: /a leaf is in another namespace/ },
    { name: "rollup 2's slice carrying rollup 1's leaves and proof", slice: () => { const s = slice2(); const o = slice1(); s.leaves = o.leaves; s.proof = o.proof; return s }, reason: /a leaf is in another namespace/ },
    { name: "rollup 2's leaves with rollup 1's proof", slice: () => { const s = slice2(); s.proof = slice1().proof; return s }, reason: /namespace proof does not verify/ },
    {
      name: "rollup 1's leaves re-namespaced as rollup 2, with rollup 2's proof",
      slice: () => {
        const s = slice2()
        s.leaves = slice1().leaves.map((leaf) => { const c = leaf.slice(); c.set(rollupNamespace(2), 0); return c })
        return s
      },
      reason: /namespace proof does not verify/
    },
    { name: 'a proof missing a node', slice: () => { const s = slice1(); s.proof.nodes = s.proof.nodes.slice(1); return s }, reason: /namespace proof does not verify/ },
    { name: 'a proof range shifted by one', slice: () => { const s = slice1(); s.proof.start += 1; s.proof.end += 1; return s }, reason: /namespace proof does not verify/ }
  ]
  for (const c of cases) {
    let check: ReturnType<typeof verifySlice>
    try {
      check = verifySlice(c.committee ?? committee, c.slice(), deps)
    } catch (err) {
      t.fail(`${c.name}: verifySlice threw ${String(err)}`)
      continue
    }
    t.equal(check.ok, false, `${c.name}: refused`)
    t.match(check.ok ? '' : check.reason, c.reason, `${c.name}: reason ${check.ok ? '(none)' : JSON.stringify(check.reason)}`)
  }

  // The copies above were independent: the served bytes still verify.
  t.ok(verifySlice(committee, decode(SliceSchema, bytes1), deps).ok, 'the served slice still verifies afterwards')
  t.ok(equalBytes(encode(SliceSchema, slice1()), bytes1), 'the slice re-encodes to the served bytes')
})
