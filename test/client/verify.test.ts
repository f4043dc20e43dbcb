/**
 * The SDK verifier (noble) on slices built by the node's own code: it accepts what the
 * node's verifySlice accepts, refuses every tampered copy with the right code (and so
 * does the node's check), and checks rollup, height and chain against what was asked.
 */
import t from 'tap'
import { batchHash, nodeNmt, verifySlice as nodeVerifySlice } from '../../src/batch/index.js'
import { decode, encode, SliceSchema, type Slice } from '../../src/codec/index.js'
import { bytesToHex, Ed25519Signer, generateKeyPair, verifyEd25519 } from '../../src/crypto/index.js'
import { txHash } from '../../src/batch/index.js'
import {
  committeeFromGenesis, createVerifier, GENESIS_INVALID, SenderProofProblem, SliceErrorCode, SliceVerificationError, type SliceExpectation, type SliceVerifier
} from '../../src/client/index.js'
import { forgedTx } from '../helpers/forged.js'
import { makeFixture } from './fixtures.js'

const fx = makeFixture()
const committee = { chainId: fx.chainId, committeeKeys: fx.committeeKeys }
const verifier = createVerifier(committee)
const nodeDeps = { nmt: nodeNmt, verifySignature: verifyEd25519, batchHash }
const sliceOf = (rollupId: number): Slice => decode(SliceSchema, fx.sliceBytes.get(rollupId)!)

t.test('untouched slices verify, with bundle info, in batch order', async (t) => {
  const hashes = fx.txs.map((tx) => bytesToHex(txHash(fx.chainId, tx)))
  const s1 = verifier.verifySliceBytes(fx.sliceBytes.get(1)!, { rollupId: 1, height: 5 })
  const s2 = verifier.verifySliceBytes(fx.sliceBytes.get(2)!, { rollupId: 2, height: 5 })
  const s3 = verifier.verifySliceBytes(fx.sliceBytes.get(3)!, { rollupId: 3, height: 5 })
  t.equal(s1.rollupId, 1)
  t.equal(s1.height, 5)
  t.equal(s1.batchHash, bytesToHex(batchHash(fx.header)))
  t.equal(s1.timestamp, fx.header.timestamp)
  t.same(s1.txs.map((l) => [hashes.indexOf(l.txHash), l.actionIndex, l.actionCount]), [[0, 0, 1], [2, 0, 2], [3, 0, 1]], 'rollup 1: its actions in batch order')
  t.same(s2.txs.map((l) => [hashes.indexOf(l.txHash), l.actionIndex, l.actionCount]), [[1, 0, 1], [2, 1, 2], [4, 0, 2], [4, 1, 2]], 'rollup 2: its actions in batch order')
  t.equal(s1.txs[1]!.txHash, s2.txs[1]!.txHash, "the bundle's two actions share the tx hash (bundle id)")
  t.same(s2.txs[1]!.payload, fx.txs[2]!.actions[1]!.payload, 'payloads are the submitted bytes')
  t.equal(s1.txs[0]!.sender, bytesToHex(fx.txs[0]!.sender))
  t.same(s3.txs, [], 'a rollup without txs gets an empty, verified slice')
  t.ok(s3.header.payloadRoot instanceof Uint8Array)
})

t.test('tampered slices are refused with a code, as the node refuses them', async (t) => {
  // a copy: decoded bytes are Buffers in node, whose slice() is a view
  const flip = (b: Uint8Array, i: number, mask = 0x01): Uint8Array => { const c = new Uint8Array(b); c[i]! ^= mask; return c }
  const other = makeFixture('fixture-2')
  const cases: Array<{ name: string, slice: () => Slice, code: string, reason?: RegExp, expect?: SliceExpectation, verifier?: SliceVerifier }> = [
    { name: 'a removed leaf', slice: () => { const s = sliceOf(1); s.leaves.splice(1, 1); return s }, code: SliceErrorCode.BAD_LEAVES, reason: /2 leaves, header says 3/ },
    { name: 'an added leaf', slice: () => { const s = sliceOf(1); s.leaves.push(s.leaves[0]!); return s }, code: SliceErrorCode.BAD_LEAVES, reason: /4 leaves, header says 3/ },
    { name: 'a changed payload byte', slice: () => { const s = sliceOf(1); s.leaves[1] = flip(s.leaves[1]!, s.leaves[1]!.length - 1); return s }, code: SliceErrorCode.BAD_LEAVES, reason: /namespace proof/ },
    { name: 'two leaves swapped', slice: () => { const s = sliceOf(2); [s.leaves[0], s.leaves[1]] = [s.leaves[1]!, s.leaves[0]!]; return s }, code: SliceErrorCode.BAD_LEAVES },
    { name: 'leaves that do not decode', slice: () => { const s = sliceOf(1); s.leaves[0] = s.leaves[0]!.subarray(0, 12); return s }, code: SliceErrorCode.BAD_LEAVES, reason: /does not decode/ },
    { name: 'an empty slice claiming a leaf', slice: () => { const s = sliceOf(3); s.leaves = [sliceOf(1).leaves[0]!]; return s }, code: SliceErrorCode.BAD_LEAVES },
    { name: 'a flipped certificate signature bit', slice: () => { const s = sliceOf(1); s.finality.certificate.signatures[1] = flip(s.finality.certificate.signatures[1]!, 3, 0x10); return s }, code: SliceErrorCode.NOT_FINAL, reason: /signature of member 1 does not verify/ },
    { name: 'a certificate with too few signers (2 of 4)', slice: () => { const s = sliceOf(1); s.finality.certificate = fx.certify(fx.finality.headers[0]!, [0, 3]); return s }, code: SliceErrorCode.NOT_FINAL, reason: /2 signers, quorum is 3/ },
    { name: 'a certificate with one signature dropped', slice: () => { const s = sliceOf(1); s.finality.certificate.signatures.pop(); return s }, code: SliceErrorCode.NOT_FINAL },
    { name: 'a certificate of the header itself (no 2-chain)', slice: () => { const s = sliceOf(1); s.finality = { version: 1, headers: [fx.finality.headers[0]!], certificate: fx.certify(fx.header, [0, 1, 2]) }; return s }, code: SliceErrorCode.NOT_FINAL },
    { name: 'proof headers truncated', slice: () => { const s = sliceOf(1); s.finality.headers = []; return s }, code: SliceErrorCode.NOT_FINAL },
    { name: 'a proof header from another round', slice: () => { const s = sliceOf(1); s.finality.headers[0]!.round += 1; return s }, code: SliceErrorCode.NOT_FINAL },
    { name: "another rollup's slice presented as this one", slice: () => sliceOf(2), expect: { rollupId: 1 }, code: SliceErrorCode.WRONG_ROLLUP },
    { name: "rollup 1's slice relabelled as rollup 2", slice: () => { const s = sliceOf(1); s.rollupId = 2; return s }, code: SliceErrorCode.BAD_LEAVES },
    { name: "rollup 2's slice carrying rollup 1's leaves", slice: () => { const s = sliceOf(2); s.leaves = [...sliceOf(1).leaves, s.leaves[0]!]; return s }, code: SliceErrorCode.BAD_LEAVES, reason: /another namespace/ },
    { name: 'another height than asked', slice: () => sliceOf(1), expect: { height: 4 }, code: SliceErrorCode.WRONG_HEIGHT },
    { name: 'the header edited to another height', slice: () => { const s = sliceOf(1); s.header.height = 4; return s }, expect: { height: 4 }, code: SliceErrorCode.NOT_FINAL },
    { name: 'a header of another chain', slice: () => { const s = sliceOf(1); s.header.chainId = 'fixture-2'; return s }, code: SliceErrorCode.WRONG_CHAIN },
    { name: "another chain's whole slice", slice: () => decode(SliceSchema, other.sliceBytes.get(1)!), code: SliceErrorCode.WRONG_CHAIN },
    { name: 'a valid slice checked against another committee', slice: () => sliceOf(1), verifier: createVerifier({ chainId: fx.chainId, committeeKeys: other.committeeKeys }), code: SliceErrorCode.NOT_FINAL }
  ]
  for (const c of cases) {
    const slice = c.slice()
    const v = c.verifier ?? verifier
    let err: unknown
    try {
      v.verifySlice(slice, c.expect)
    } catch (e) { err = e }
    t.ok(err instanceof SliceVerificationError, `${c.name}: refused`)
    t.equal((err as SliceVerificationError).code, c.code, `${c.name}: ${(err as Error)?.message}`)
    if (c.reason !== undefined) t.match((err as SliceVerificationError).reason, c.reason)
    if (c.expect === undefined) {
      const node = nodeVerifySlice(v.committee, slice, nodeDeps)
      t.equal(node.ok, false, `${c.name}: the node's verifySlice refuses it too`)
    }
  }
  t.ok(verifier.verifySliceBytes(fx.sliceBytes.get(1)!), 'the served bytes still verify afterwards')
})

t.test('encodings other than the canonical one are refused before any check', async (t) => {
  const bytes = fx.sliceBytes.get(1)!
  const withTrailing = new Uint8Array(bytes.length + 1)
  withTrailing.set(bytes)
  for (const [name, input] of [['trailing byte', withTrailing], ['truncated', bytes.subarray(0, bytes.length - 1)], ['empty', new Uint8Array(0)], ['a map', new Uint8Array([0x80])]] as const) {
    t.throws(() => verifier.verifySliceBytes(input), { code: SliceErrorCode.MALFORMED }, name)
  }
  // 1 written as uint8 (0xcc 0x01) instead of a fixint: the node's codec refuses it too.
  const s = sliceOf(1)
  const canonical = encode(SliceSchema, s)
  t.equal(canonical[1], 0x01, 'the version is a fixint')
  const loose = new Uint8Array(canonical.length + 1)
  loose.set(canonical.subarray(0, 1))
  loose.set([0xcc, 0x01], 1)
  loose.set(canonical.subarray(2), 3)
  t.throws(() => verifier.verifySliceBytes(loose), { code: SliceErrorCode.MALFORMED, message: /non-canonical/ })
  t.throws(() => decode(SliceSchema, loose), { code: 'CODEC_NON_CANONICAL' }, 'as the node codec does')
})

t.test('committee keys are checked when the verifier is made', async (t) => {
  const identity = new Uint8Array(32)
  identity[0] = 1 // the neutral point: small order, "verifies" forgeries
  t.throws(() => createVerifier({ chainId: 'c', committeeKeys: [identity] }), /small order/)
  t.throws(() => createVerifier({ chainId: 'c', committeeKeys: [new Uint8Array(31)] }), /32 bytes/)
  t.throws(() => createVerifier({ chainId: 'c', committeeKeys: [] }), /at least one key/)
  t.throws(() => createVerifier({ chainId: '', committeeKeys: fx.committeeKeys }), /chainId/)
  // audit #13 item 9: with [a, b, a, a] one key's signatures would make a quorum of three
  const [a, b] = fx.committeeKeys
  t.throws(() => createVerifier({ chainId: 'c', committeeKeys: [a!, b!, a!.slice(), a!] }), /committee key 2 repeats key 0/, 'a repeated key (even as a copy) is refused')
})

t.test('committeeFromGenesis reads the chain id and keys in member order', async (t) => {
  const genesis = {
    chainId: fx.chainId,
    genesisTime: 0,
    committee: fx.committeeKeys.map((k, i) => ({ name: `node-${i}`, publicKey: bytesToHex(k) })),
    rollups: [{ id: 1, name: 'a', weight: 1 }]
  }
  const fromObject = committeeFromGenesis(genesis)
  const fromText = committeeFromGenesis(JSON.stringify(genesis))
  t.equal(fromObject.chainId, fx.chainId)
  t.same(fromObject.committeeKeys, fx.committeeKeys)
  t.same(fromText, fromObject)
  t.ok(createVerifier(fromText).verifySliceBytes(fx.sliceBytes.get(2)!), 'and it verifies the chain')
  for (const bad of ['{', null, {}, { chainId: 'x', committee: [] }, { chainId: 'x', committee: [{ publicKey: 'AB'.repeat(32) }] }]) {
    t.throws(() => committeeFromGenesis(bad), { code: GENESIS_INVALID }, JSON.stringify(bad))
  }
})

t.test('leaves a member forged in the sender\'s name are flagged and left out of txs (audit #13 item 1)', async (t) => {
  const forger = new Ed25519Signer(generateKeyPair().seed)
  const forged = makeFixture('fixture-forged', (sender, expiry) => [
    forgedTx('fixture-forged', sender.publicKey, forger, [{ rollupId: 1, payload: Uint8Array.of(1) }], 100, expiry),
    // a bundle: rollup 2 checks its action with rollup 1's action hash as the sibling
    forgedTx('fixture-forged', sender.publicKey, forger, [{ rollupId: 1, payload: Uint8Array.of(2) }, { rollupId: 2, payload: Uint8Array.of(3) }], 101, expiry)
  ])
  const v = createVerifier({ chainId: forged.chainId, committeeKeys: forged.committeeKeys })
  const s1 = v.verifySliceBytes(forged.sliceBytes.get(1)!, { rollupId: 1 })
  const s2 = v.verifySliceBytes(forged.sliceBytes.get(2)!, { rollupId: 2 })
  const sender = bytesToHex(forged.txs[0]!.sender)
  t.equal(s1.txs.length, 3, "rollup 1: the sender's own three actions")
  t.same(s1.skipped.map((s) => [s.index, s.actionIndex, s.sender, s.reason]), [[3, 0, sender, SenderProofProblem.BAD_SIGNATURE], [4, 0, sender, SenderProofProblem.BAD_SIGNATURE]], 'rollup 1: both forged leaves flagged')
  t.equal(s2.txs.length, 4, "rollup 2: the sender's own four actions")
  t.same(s2.skipped.map((s) => [s.index, s.actionIndex, s.reason]), [[4, 1, SenderProofProblem.BAD_SIGNATURE]], "rollup 2: the bundle's forged action flagged")
  t.equal(s1.skipped[1]!.txHash, s2.skipped[0]!.txHash, 'the forged bundle is one tx in both rollups')
  t.same(verifier.verifySliceBytes(fx.sliceBytes.get(2)!).skipped, [], 'honest slices skip nothing')

  const node = nodeVerifySlice(v.committee, decode(SliceSchema, forged.sliceBytes.get(1)!), nodeDeps)
  t.ok(node.ok && node.leaves.length === 3 && node.skipped.length === 2, "the node's verifySlice skips the same leaves")
})
