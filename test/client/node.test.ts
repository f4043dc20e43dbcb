/**
 * The SDK against a real one-member node run from the CLI: txs built with noble are
 * admitted and become final, slices of rollups 1 and 2 (with a bundle across both)
 * verify, and every tampering of a served slice is refused with SliceVerificationError,
 * whether checked directly or served through a tampering fetch.
 */
import t from 'tap'
import { readFile } from 'node:fs/promises'
import { decode, encode, SliceSchema, type Slice } from '../../src/codec/index.js'
import {
  committeeFromGenesis, createTxBuilder, createVerifier, generateSigningKey, SequencerClient,
  SliceErrorCode, SliceVerificationError, TxRejectedError, type FetchLike
} from '../../src/client/index.js'
import { getMsgpack, makeNodeHome, startNodeProcess } from '../helpers/node-process.js'

t.test('a client follows its txs to finality and verifies the slices', async (t) => {
  // A 300 ms chunk delay lets one concurrent burst land in a single batch.
  const home = await makeNodeHome(t, { chainId: 'client-e2e', config: { consensus: { chunkDelayMs: 300 } } })
  const node = await startNodeProcess(t, home.configFile)
  const committee = committeeFromGenesis(await readFile(home.genesisFile, 'utf8'))
  /** when set, rewrites the body of msgpack replies */
  let tamper: ((url: string, bytes: Uint8Array) => Uint8Array) | null = null
  const fetchThrough: FetchLike = async (url, init) => {
    const res = await fetch(url, init)
    if (tamper === null || res.headers.get('content-type')?.startsWith('application/msgpack') !== true) return res
    const body = tamper(url, new Uint8Array(await res.arrayBuffer()))
    return new Response(body, { status: res.status, headers: res.headers })
  }
  const client = new SequencerClient({ url: node.url, committee, fetch: fetchThrough })

  const status = await client.status()
  t.equal(status.chainId, 'client-e2e')
  t.same(status.rollups.map((r) => r.id), [1, 2])

  const builder = createTxBuilder({ chainId: committee.chainId, signer: generateSigningKey() })
  const p = (s: string): Uint8Array => new TextEncoder().encode(s)
  const burst = [
    builder.single(1, p('one')),
    builder.many(1, [p('m0'), p('m1')]),
    builder.single(2, p('two')),
    builder.bundle([{ rollupId: 1, payload: p('debit') }, { rollupId: 2, payload: p('credit') }])
  ]
  const replies = await Promise.all(burst.map((tx) => client.submit(tx)))
  t.same(replies.map((r) => r.hash), burst.map((tx) => tx.hash), 'the node computes the same hashes')
  const positions = await Promise.all(burst.map((tx) => client.waitFinal(tx.hash, { timeoutMs: 10_000 })))
  const height = positions[0]!.height
  t.same(positions.map((pos) => pos.height), burst.map(() => height), `the burst is final in one batch (height ${height})`)
  t.same(new Set(positions.map((pos) => pos.index)).size, 4, 'at distinct indices')
  t.match(await client.txStatus(burst[0]!.hash), { status: 'committed', height })

  const s1 = await client.getSlice(1, height)
  const s2 = await client.getSlice(2, height)
  const leavesOf = (s: typeof s1): string[] => s.txs.map((l) => `${burst.findIndex((b) => b.hash === l.txHash)}:${l.actionIndex}/${l.actionCount}:${new TextDecoder().decode(l.payload)}`).sort()
  t.same(leavesOf(s1), ['0:0/1:one', '1:0/2:m0', '1:1/2:m1', '3:0/2:debit'], "rollup 1's slice: its actions, with bundle info")
  t.same(leavesOf(s2), ['2:0/1:two', '3:1/2:credit'], "rollup 2's slice")
  t.equal(s1.batchHash, s2.batchHash, 'both slices are of the same batch')
  t.equal(s1.txs.find((l) => l.actionCount === 2 && l.txHash === burst[3]!.hash)?.sender, s2.txs.find((l) => l.txHash === burst[3]!.hash)?.sender)

  // One more tx, in a later batch, so that height + 1 is final too.
  const tail = builder.single(2, p('tail'))
  await client.submitWithRetry(tail)
  const tailPos = await client.waitFinal(tail.hash, { timeoutMs: 10_000 })
  t.ok(tailPos.height > height, `the tail tx is final at a later height (${tailPos.height})`)

  const latest = await client.latest(1)
  t.ok(latest.latestHeight >= height && latest.finalHeight >= height, 'latest knows the height')
  const range = await client.getSlices(2, 0, latest.finalHeight + 50)
  t.same(range.map((s) => s.height), Array.from({ length: latest.finalHeight + 1 }, (_, h) => h), 'getSlices: every final height, in order, clamped to the final height')
  t.same(range[height]!.txs, s2.txs)

  // ---- errors the node reports
  await t.rejects(client.submit(burst[0]!), { code: 'TX_DUPLICATE', status: 409 })
  const expired = builder.single(1, p('late'), { expiry: Date.now() - 1000 })
  await t.rejects(client.submit(expired), { code: 'TX_EXPIRED', status: 400 })
  const rejection = await client.waitFinal(expired.hash).catch((e: unknown) => e)
  t.ok(rejection instanceof TxRejectedError, 'waitFinal rejects for a rejected tx')
  t.match(rejection, { code: 'TX_EXPIRED', hash: expired.hash })
  t.equal(await client.txStatus('00'.repeat(32)), null, 'an unknown hash')
  await t.rejects(client.getSlice(1, latest.finalHeight + 1000), { code: 'NOT_FOUND', status: 404 })
  await t.rejects(client.getSlice(9, 0), { code: 'UNKNOWN_ROLLUP', status: 404 })

  // ---- tampered slices
  const verifier = createVerifier(committee)
  const served = async (rollupId: number, h: number): Promise<Uint8Array> => await getMsgpack(node.url, `/v1/rollups/${rollupId}/slices/${h}`)
  const bytes1 = await served(1, height)
  const bytes2 = await served(2, height)
  const bytesNext = await served(1, height + 1)
  const copy = (bytes: Uint8Array = bytes1): Slice => decode(SliceSchema, new Uint8Array(bytes))
  const flip = (b: Uint8Array, i: number, mask = 0x01): Uint8Array => { const c = new Uint8Array(b); c[i]! ^= mask; return c }
  t.ok(verifier.verifySliceBytes(bytes1, { rollupId: 1, height }), 'the served bytes verify')

  const cases: Array<{ name: string, slice: () => Slice, code: string, reason?: RegExp }> = [
    { name: 'a leaf removed', slice: () => { const s = copy(); s.leaves.splice(1, 1); return s }, code: SliceErrorCode.BAD_LEAVES, reason: /3 leaves, header says 4/ },
    { name: 'a leaf added', slice: () => { const s = copy(); s.leaves.push(s.leaves[0]!); return s }, code: SliceErrorCode.BAD_LEAVES },
    { name: 'a payload byte changed', slice: () => { const s = copy(); s.leaves[0] = flip(s.leaves[0]!, s.leaves[0]!.length - 1); return s }, code: SliceErrorCode.BAD_LEAVES, reason: /namespace proof/ },
    { name: 'a certificate signature flipped', slice: () => { const s = copy(); s.finality.certificate.signatures[0] = flip(s.finality.certificate.signatures[0]!, 9, 0x40); return s }, code: SliceErrorCode.NOT_FINAL, reason: /signature of member 0/ },
    { name: 'a certificate with too few signers', slice: () => { const s = copy(); s.finality.certificate.signers = new Uint8Array(1); s.finality.certificate.signatures = []; return s }, code: SliceErrorCode.NOT_FINAL, reason: /0 signers, quorum is 1/ },
    { name: 'proof headers truncated', slice: () => { const s = copy(); s.finality.headers.pop(); return s }, code: SliceErrorCode.NOT_FINAL },
    { name: "another rollup's slice presented as this one", slice: () => copy(bytes2), code: SliceErrorCode.WRONG_ROLLUP },
    { name: 'a header of another chain', slice: () => { const s = copy(); s.header.chainId = 'other-chain'; return s }, code: SliceErrorCode.WRONG_CHAIN },
    { name: "the next height's proof", slice: () => { const s = copy(); s.finality = copy(bytesNext).finality; return s }, code: SliceErrorCode.NOT_FINAL }
  ]
  for (const c of cases) {
    const err = (() => { try { verifier.verifySlice(c.slice(), { rollupId: 1, height }) } catch (e) { return e } })()
    t.ok(err instanceof SliceVerificationError, `${c.name}: refused`)
    t.match(err, { code: c.code, ...(c.reason !== undefined ? { reason: c.reason } : {}) }, `${c.name}: ${(err as Error)?.message}`)
    // the truncated proof does not even encode to a valid wire Slice (headers: 1..1024)
    const bytes = encode(SliceSchema, c.slice())
    t.throws(() => verifier.verifySliceBytes(bytes, { rollupId: 1, height }), SliceVerificationError, `${c.name}: refused as bytes`)
  }

  // ---- a dishonest server or relay: getSlice never returns what does not verify
  const throughTamper = async (name: string, rewrite: (url: string, bytes: Uint8Array) => Uint8Array, code: string): Promise<void> => {
    tamper = rewrite
    try {
      const err = await client.getSlice(1, height).then(() => null, (e: unknown) => e)
      t.match(err, { name: 'SliceVerificationError', code }, `getSlice through a relay that ${name}`)
    } finally {
      tamper = null
    }
  }
  await throughTamper("serves rollup 2's slice", () => bytes2, SliceErrorCode.WRONG_ROLLUP)
  await throughTamper('serves the next height', () => bytesNext, SliceErrorCode.WRONG_HEIGHT)
  await throughTamper('changes a payload byte', () => { const s = copy(); s.leaves[1] = flip(s.leaves[1]!, s.leaves[1]!.length - 2); return encode(SliceSchema, s) }, SliceErrorCode.BAD_LEAVES)
  await throughTamper('drops a signature', () => { const s = copy(); s.finality.certificate.signatures = []; return encode(SliceSchema, s) }, SliceErrorCode.NOT_FINAL)
  await throughTamper('appends a byte', (_, b) => { const c = new Uint8Array(b.length + 1); c.set(b); return c }, SliceErrorCode.MALFORMED)
  t.ok(await client.getSlice(1, height), 'and the honest reply still verifies')

  const stranger = new SequencerClient({ url: node.url, committee: { chainId: committee.chainId, committeeKeys: [generateSigningKey().publicKey] } })
  await t.rejects(stranger.getSlice(1, height), { code: SliceErrorCode.NOT_FINAL }, 'a client trusting another committee refuses the real chain')
})
