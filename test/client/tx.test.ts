/**
 * Txs built and signed by the SDK (noble) are byte-identical to the node's (node:crypto)
 * for the same seed and fields, and the node's admission checks accept them.
 */
import t from 'tap'
import fc from 'fast-check'
import { decode, encode, TxSchema } from '../../src/codec/index.js'
import { bytesToHex, Ed25519Signer, publicKeyFromSeed, verifyEd25519 } from '../../src/crypto/index.js'
import { signTx, verifyTx } from '../../src/mempool/index.js'
import { txHash as nodeTxHash } from '../../src/batch/index.js'
import {
  buildTx, createTxBuilder, DEFAULT_TX_LIFETIME_MS, generateSigningKey, signerFromSeed, txHash, verifyEd25519 as sdkVerify
} from '../../src/client/index.js'

const chainIdArb = fc.stringMatching(/^[a-zA-Z0-9._-]{1,32}$/)
const actionArb = fc.record({
  // ids above 2^32 take the int64 path of the encoder
  rollupId: fc.oneof(fc.nat(300), fc.integer({ min: 2 ** 32 - 2, max: 2 ** 32 + 2 }), fc.maxSafeNat()),
  payload: fc.uint8Array({ maxLength: 80 })
})
const fieldsArb = fc.record({
  seed: fc.uint8Array({ minLength: 32, maxLength: 32 }),
  chainId: chainIdArb,
  actions: fc.array(actionArb, { minLength: 1, maxLength: 5 }),
  nonce: fc.maxSafeNat(),
  expiry: fc.maxSafeNat()
})

t.test('SDK txs are byte-identical to the node signTx/txHash and pass verifyTx', async (t) => {
  let runs = 0
  fc.assert(fc.property(fieldsArb, ({ seed, chainId, actions, nonce, expiry }) => {
    const sdk = buildTx({ chainId, actions, nonce, expiry, signer: signerFromSeed(seed) })
    const node = signTx(chainId, { actions, nonce, expiry }, new Ed25519Signer(seed))
    const nodeBytes = encode(TxSchema, node)
    if (bytesToHex(sdk.bytes) !== bytesToHex(nodeBytes)) throw new Error('encoded tx differs')
    if (bytesToHex(sdk.tx.signature) !== bytesToHex(node.signature)) throw new Error('signature differs')
    if (sdk.hash !== bytesToHex(nodeTxHash(chainId, node))) throw new Error('hash differs')
    if (txHash(chainId, sdk.tx) !== sdk.hash) throw new Error('txHash() differs from buildTx().hash')
    const admitted = verifyTx(chainId, decode(TxSchema, sdk.bytes))
    if (admitted === null || bytesToHex(admitted) !== sdk.hash) throw new Error('verifyTx refuses the SDK tx')
    if (verifyTx(`${chainId}x`, decode(TxSchema, sdk.bytes)) !== null) throw new Error('verifyTx accepts it on another chain')
    runs++
  }), { numRuns: 150 })
  t.equal(runs, 150, '150 random txs agree')
})

t.test('keys: noble derives the node public key; either signer builds the same tx', async (t) => {
  const key = generateSigningKey()
  t.equal(key.seed.length, 32)
  t.same(key.publicKey, publicKeyFromSeed(key.seed), 'public key matches node:crypto')
  const message = new TextEncoder().encode('hello')
  t.ok(verifyEd25519(key.publicKey, message, key.sign(message)), 'node verifies an SDK signature')
  t.ok(sdkVerify(key.publicKey, message, new Ed25519Signer(key.seed).sign(message)), 'SDK verifies a node signature')
  t.notOk(sdkVerify(key.publicKey, message, new Uint8Array(64)), 'and refuses a zero signature')
  const fields = { chainId: 'c-1', actions: [{ rollupId: 1, payload: message }], nonce: 7, expiry: 1_900_000_000_000 }
  t.same(buildTx({ ...fields, signer: new Ed25519Signer(key.seed) }).bytes, buildTx({ ...fields, signer: key }).bytes, "the node's Ed25519Signer is an SDK Signer")
  t.throws(() => signerFromSeed(new Uint8Array(31)), TypeError)
  t.notSame(generateSigningKey().seed, key.seed, 'fresh keys differ')
})

t.test('builder: one action, many payloads, cross-rollup bundles', async (t) => {
  const signer = generateSigningKey()
  const builder = createTxBuilder({ chainId: 'c-1', signer, firstNonce: 100, expiryMs: 5000 })
  const p = (s: string): Uint8Array => new TextEncoder().encode(s)
  const before = Date.now()
  const one = builder.single(1, p('a'))
  const many = builder.many(2, [p('x'), p('y'), p('z')])
  const bundle = builder.bundle([{ rollupId: 1, payload: p('debit') }, { rollupId: 2, payload: p('credit') }])
  const pinned = builder.single(1, p('b'), { nonce: 5, expiry: 1_900_000_000_000 })
  const after = builder.single(1, p('c'))
  t.same(one.tx.actions.map((a) => a.rollupId), [1])
  t.same(many.tx.actions.map((a) => [a.rollupId, new TextDecoder().decode(a.payload)]), [[2, 'x'], [2, 'y'], [2, 'z']])
  t.same(bundle.tx.actions.map((a) => a.rollupId), [1, 2])
  t.same([one, many, bundle, after].map((b) => b.tx.nonce), [100, 101, 102, 103], 'nonces count up from firstNonce')
  t.same([pinned.tx.nonce, pinned.tx.expiry], [5, 1_900_000_000_000], 'per-tx overrides')
  t.ok(one.tx.expiry >= before + 5000 && one.tx.expiry <= Date.now() + 5000, 'expiry = now + expiryMs')
  for (const built of [one, many, bundle]) t.ok(verifyTx('c-1', built.tx), 'node accepts it')
  t.throws(() => builder.bundle([{ rollupId: 1, payload: p('a') }, { rollupId: 1, payload: p('b') }]), /two rollups/)
  t.throws(() => builder.many(1, []), /at least one payload/)

  const dflt = buildTx({ chainId: 'c-1', actions: [{ rollupId: 1, payload: p('a') }], signer })
  const dflt2 = buildTx({ chainId: 'c-1', actions: [{ rollupId: 1, payload: p('a') }], signer })
  t.not(dflt.hash, dflt2.hash, 'default nonces are random, so equal txs get distinct hashes')
  t.ok(Math.abs(dflt.tx.expiry - (Date.now() + DEFAULT_TX_LIFETIME_MS)) < 1000, 'default lifetime')
  t.equal(Object.getPrototypeOf(dflt.bytes), Uint8Array.prototype, 'bytes are a plain Uint8Array, not a Buffer')
})

t.test('bad input is refused before signing', async (t) => {
  const signer = generateSigningKey()
  const ok = { chainId: 'c', actions: [{ rollupId: 1, payload: new Uint8Array(1) }], signer }
  t.throws(() => buildTx({ ...ok, chainId: '' }), /chainId/)
  t.throws(() => buildTx({ ...ok, actions: [] }), /actions/)
  t.throws(() => buildTx({ ...ok, actions: Array.from({ length: 1025 }, () => ok.actions[0]!) }), /actions/)
  t.throws(() => buildTx({ ...ok, actions: [{ rollupId: -1, payload: new Uint8Array(1) }] }), /rollupId/)
  t.throws(() => buildTx({ ...ok, actions: [{ rollupId: 1.5, payload: new Uint8Array(1) }] }), /rollupId/)
  t.throws(() => buildTx({ ...ok, actions: [{ rollupId: 1, payload: 'x' as unknown as Uint8Array }] }), /payload/)
  t.throws(() => buildTx({ ...ok, nonce: 2 ** 53 }), /nonce/)
  t.throws(() => buildTx({ ...ok, expiry: -5 }), /expiry/)
})
