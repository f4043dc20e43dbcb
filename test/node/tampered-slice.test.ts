/**
 * A rollup's slice as a running node serves it (msgpack) verifies, and every tampering a
 * dishonest server or relay could try makes verifySlice refuse it with a reason.
 */
import t from 'tap'
import { randomBytes } from 'node:crypto'
import { batchHash, nodeNmt, rollupNamespace, verifySlice } from '../../src/batch/index.js'
import { SliceLeafSchema, SliceSchema, TxSchema, decode, encode, type Slice } from '../../src/codec/index.js'
import { bytesToHex, Ed25519Signer, equalBytes, generateKeyPair, verifyEd25519 } from '../../src/crypto/index.js'
import { signTx, txHash } from '../../src/mempool/index.js'
import type { CommitteeView } from '../../src/ordering/certificate.js'
import { getJson, getMsgpack, makeNodeHome, startNodeProcess, submitTxBytes, waitCommitted } from '../helpers/node-process.js'

const deps = { nmt: nodeNmt, verifySignature: verifyEd25519, batchHash }

t.test('verifySlice accepts a served slice and refuses every tampered copy', async (t) => {
  // A 300 ms batch delay lets one concurrent burst land in a single batch.
  const home = await makeNodeHome(t, { chainId: 'tamper-e2e', config: { ordering: { maxBatchDelayMs: 300 } } })
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
  const [first] = await submit([[1]])
  const burst = await submit([[1], [1], [2], [2], [1, 2]])
  const heightOf = async (hash: string): Promise<number> => (await getJson<{ height: number }>(node.url, `/v1/txs/${hash}`)).height
  const otherHeight = await heightOf(first!)
  const burstHeights = await Promise.all(burst.map(heightOf))
  const height = burstHeights[0]!
  t.same(burstHeights, burst.map(() => height), `the burst is in one batch (height ${height})`)
  t.not(otherHeight, height, `the single tx is in another batch (height ${otherHeight})`)

  const sliceBytes = async (rollupId: number, h: number): Promise<Uint8Array> => await getMsgpack(node.url, `/v1/rollups/${rollupId}/slices/${h}`)
  const bytes1 = await sliceBytes(1, height)
  const bytes2 = await sliceBytes(2, height)
  const bytesOther = await sliceBytes(1, otherHeight)
  const json = await getJson<{ encoded: string }>(node.url, `/v1/rollups/1/slices/${height}`)
  t.equal(json.encoded, Buffer.from(bytes1).toString('base64'), "the JSON view's encoded slice is the msgpack reply")

  // Every case decodes its own copies, so no mutation leaks into another case.
  const slice1 = (): Slice => decode(SliceSchema, bytes1)
  const slice2 = (): Slice => decode(SliceSchema, bytes2)
  const sliceOther = (): Slice => decode(SliceSchema, bytesOther)
  const committee: CommitteeView = { chainId, committeeKeys: home.genesis.committeeKeys }

  for (const [name, make] of [['rollup 1', slice1], ['rollup 2', slice2], ['rollup 1, other height', sliceOther]] as const) {
    const check = verifySlice(committee, make(), deps)
    t.ok(check.ok, `the untouched slice of ${name} verifies`)
  }
  const untouched = verifySlice(committee, slice1(), deps)
  const untouched2 = verifySlice(committee, slice2(), deps)
  t.equal(untouched.ok && untouched.leaves.length, 3, 'rollup 1 has three leaves at that height')
  t.equal(untouched2.ok && untouched2.leaves.length, 3, 'rollup 2 has three leaves at that height')
  const burstSet = new Set(burst)
  t.ok(untouched.ok && untouched.leaves.every((l) => burstSet.has(bytesToHex(l.txHash))), "rollup 1's leaves are the burst's txs")

  const flip = (b: Uint8Array, i: number, mask = 0x01): Uint8Array => { const c = b.slice(); c[i]! ^= mask; return c }
  /** Offset of the payload inside a leaf (namespace || encode(SliceLeaf); payload is the last field). */
  const payloadOffset = (leaf: Uint8Array): number => leaf.length - decode(SliceLeafSchema, leaf.subarray(8)).payload.length

  const cases: Array<{ name: string, slice: () => Slice, reason: RegExp, committee?: CommitteeView }> = [
    { name: 'a removed leaf', slice: () => { const s = slice1(); s.leaves.splice(1, 1); return s }, reason: /slice has 2 leaves, header says 3/ },
    {
      name: 'a removed leaf, namespace table edited to match',
      slice: () => { const s = slice1(); s.leaves.splice(1, 1); s.header.namespaces = s.header.namespaces.map((n) => n.rollupId === 1 ? { ...n, count: n.count - 1 } : n); return s },
      reason: /certificate is for another batch/
    },
    { name: 'an added leaf (copy of another)', slice: () => { const s = slice1(); s.leaves.push(s.leaves[0]!); return s }, reason: /slice has 4 leaves, header says 3/ },
    { name: 'a leaf replaced by a copy of another', slice: () => { const s = slice1(); s.leaves[2] = s.leaves[0]!; return s }, reason: /namespace proof does not verify/ },
    { name: 'two leaves swapped', slice: () => { const s = slice1(); [s.leaves[0], s.leaves[1]] = [s.leaves[1]!, s.leaves[0]!]; return s }, reason: /namespace proof does not verify/ },
    { name: 'a changed payload byte', slice: () => { const s = slice1(); s.leaves[1] = flip(s.leaves[1]!, payloadOffset(s.leaves[1]!)); return s }, reason: /namespace proof does not verify/ },
    { name: 'a certificate with a flipped signature bit', slice: () => { const s = slice1(); s.certificate.signatures[0] = flip(s.certificate.signatures[0]!, 10, 0x20); return s }, reason: /certificate: signature of member 0 does not verify/ },
    { name: 'a certificate with an empty signer bitmap and no signatures', slice: () => { const s = slice1(); s.certificate.signers = new Uint8Array(1); s.certificate.signatures = []; return s }, reason: /certificate: 0 signers, quorum is 1/ },
    { name: 'a certificate with a zero-length bitmap', slice: () => { const s = slice1(); s.certificate.signers = new Uint8Array(0); s.certificate.signatures = []; return s }, reason: /certificate: signer bitmap has the wrong length/ },
    { name: 'a certificate whose signatures were dropped', slice: () => { const s = slice1(); s.certificate.signatures = []; return s }, reason: /certificate: signature count differs from the bitmap/ },
    { name: 'a certificate for another height', slice: () => { const s = slice1(); s.certificate = sliceOther().certificate; return s }, reason: /certificate height differs from the header/ },
    {
      name: 'a certificate for another height, header height edited to match',
      slice: () => { const s = slice1(); const other = sliceOther(); s.certificate = other.certificate; s.header.height = other.header.height; s.header.round = other.header.round; return s },
      reason: /certificate is for another batch/
    },
    { name: "another height's header and certificate with these leaves", slice: () => { const s = sliceOther(); s.leaves = slice1().leaves; return s }, reason: /slice has 3 leaves, header says 1/ },
    { name: 'a header from another chain id', slice: () => { const s = slice1(); s.header.chainId = 'other-chain'; return s }, reason: /slice is for chain other-chain/ },
    {
      name: 'a header from another chain id, checked against that chain',
      slice: () => { const s = slice1(); s.header.chainId = 'other-chain'; return s },
      committee: { chainId: 'other-chain', committeeKeys: home.genesis.committeeKeys },
      reason: /certificate is for another batch/
    },
    { name: 'an untouched slice checked against another chain', slice: slice1, committee: { chainId: 'other-chain', committeeKeys: home.genesis.committeeKeys }, reason: /slice is for chain tamper-e2e/ },
    { name: 'an untouched slice checked against another committee key', slice: slice1, committee: { chainId, committeeKeys: [generateKeyPair().publicKey] }, reason: /certificate: signature of member 0 does not verify/ },
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
