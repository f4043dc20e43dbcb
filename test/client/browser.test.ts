/**
 * The SDK is browser-safe: esbuild bundles src/client/index.ts for the browser with no
 * node builtin in it, and the bundle runs in a bare V8 context (no Buffer, process or
 * require; only the web globals TextEncoder/TextDecoder and crypto) where it builds the
 * node's exact tx and verifies a slice the node's code built.
 */
import t from 'tap'
import { fileURLToPath } from 'node:url'
import { createContext, runInContext } from 'node:vm'
import { build } from 'esbuild'
import { batchHash } from '../../src/batch/index.js'
import { encode, TxSchema } from '../../src/codec/index.js'
import { bytesToHex, Ed25519Signer } from '../../src/crypto/index.js'
import { signTx } from '../../src/mempool/index.js'
import { makeFixture } from './fixtures.js'

const entry = fileURLToPath(new URL('../../src/client/index.ts', import.meta.url))

t.test('the SDK bundles for the browser without node builtins and runs without them', async (t) => {
  const result = await build({ entryPoints: [entry], bundle: true, write: false, platform: 'browser', format: 'iife', globalName: 'SequencerSdk', metafile: true, logLevel: 'silent' })
  t.same(result.errors, [], 'esbuild bundles it for the browser')
  const code = result.outputFiles[0]!.text
  t.notOk(code.includes('require("node:'), 'no require("node:...")')
  t.notOk(code.includes('node:crypto'), 'no node:crypto')
  t.notMatch(code, /from\s*["']node:|import\(["']node:/, 'no node: imports')
  const inputs = Object.keys(result.metafile!.inputs)
  const nodeOnly = inputs.filter((f) => /src\/(crypto\/(hash|ed25519|index|key-file)|batch\/index|api\/|node\/|mempool\/|p2p\/|store\/)/.test(f))
  t.same(nodeOnly, [], 'none of the node-only modules (node:crypto hashing and signing, fs, the API server) is in the bundle')
  t.comment(`bundle: ${(code.length / 1024).toFixed(0)} KiB from ${inputs.length} files`)

  // A bare context: only what every browser has (and our test data as plain strings).
  const context = createContext({ TextEncoder, TextDecoder, crypto: globalThis.crypto })
  runInContext(code, context)
  t.equal(runInContext('typeof Buffer + typeof process + typeof require', context), 'undefinedundefinedundefined', 'no node globals in the context')

  const fx = makeFixture('browser-1')
  const seed = new Uint8Array(32).fill(7)
  const fields = { actions: [{ rollupId: 1, payload: new Uint8Array([1, 2, 3]) }, { rollupId: 2, payload: new Uint8Array([4]) }], nonce: 42, expiry: 1_900_000_000_000 }
  const nodeTx = signTx(fx.chainId, fields, new Ed25519Signer(seed))
  context.input = JSON.stringify({
    chainId: fx.chainId,
    keys: fx.committeeKeys.map(bytesToHex),
    slice1: bytesToHex(fx.sliceBytes.get(1)!),
    seed: bytesToHex(seed)
  })
  const output = JSON.parse(runInContext(`(() => {
    const sdk = SequencerSdk
    const input = JSON.parse(globalThis.input)
    const verifier = sdk.createVerifier({ chainId: input.chainId, committeeKeys: input.keys.map(sdk.hexToBytes) })
    const bytes = sdk.hexToBytes(input.slice1)
    const slice = verifier.verifySliceBytes(bytes, { rollupId: 1, height: 5 })
    const tampered = bytes.slice()
    tampered[tampered.length - 60] ^= 1
    let refused = null
    try { verifier.verifySliceBytes(tampered) } catch (err) { refused = err.code }
    const tx = sdk.buildTx({
      chainId: input.chainId,
      signer: sdk.signerFromSeed(sdk.hexToBytes(input.seed)),
      actions: [{ rollupId: 1, payload: new Uint8Array([1, 2, 3]) }, { rollupId: 2, payload: new Uint8Array([4]) }],
      nonce: 42,
      expiry: 1900000000000
    })
    const key = sdk.generateSigningKey()
    return JSON.stringify({
      batchHash: slice.batchHash, leaves: slice.txs.length, refused,
      txBytes: sdk.bytesToHex(tx.bytes), txHash: tx.hash,
      keyOk: sdk.verifyEd25519(key.publicKey, new Uint8Array([1]), key.sign(new Uint8Array([1])))
    })
  })()`, context)) as Record<string, unknown>
  t.equal(output.batchHash, bytesToHex(batchHash(fx.header)), 'a slice verifies in the bare context')
  t.equal(output.leaves, 3)
  t.ok(typeof output.refused === 'string' && (output.refused as string).startsWith('SLICE_'), `a tampered copy is refused (${String(output.refused)})`)
  t.equal(output.txBytes, bytesToHex(encode(TxSchema, nodeTx)), "a tx built there is the node's byte for byte")
  t.equal(output.keyOk, true, 'keys are generated with crypto.getRandomValues and sign')
})
