/**
 * The relay's bundling and the verdicts on gossiped bundles: txs accepted in one turn leave
 * in one RelayBundle, bundles are cut at the tx and byte caps, a publish failure reaches
 * every tx of its bundle; a bundle is rejected for one bad tx, malformed bytes, or too many
 * txs, and ignored when every tx is already final.
 */
import t from 'tap'
import { pack } from 'msgpackr'
import { decode, encode, MAX_RELAY_BUNDLE_TXS, RelayBundleSchema, TxSchema } from '../../src/codec/index.js'
import { Ed25519Signer, generateKeyPair } from '../../src/crypto/index.js'
import { bundleVerdict, judgeRelayedBundle } from '../../src/follower/relayed-tx.js'
import { TxBundler } from '../../src/follower/tx-bundler.js'
import { signTx, type MempoolGenesis } from '../../src/mempool/index.js'

const CHAIN_ID = 'bundler-test'
const signer = new Ed25519Signer(generateKeyPair().seed)
const tx = (i: number, bytes = 8): Uint8Array => encode(TxSchema, signTx(CHAIN_ID, { actions: [{ rollupId: 2, payload: new Uint8Array(bytes).fill(i % 256) }], nonce: i, expiry: Date.now() + 60_000 }, signer))
const genesis: MempoolGenesis = {
  chainId: CHAIN_ID,
  rollups: [{ id: 1, name: 'token', weight: 1 }, { id: 2, name: 'kv', weight: 1 }],
  limits: { maxTxBytes: 64 * 1024, maxPayloadBytes: 32 * 1024, maxActionsPerTx: 16, maxExpiryWindowMs: 3_600_000, maxBatchBytes: 1024 * 1024 }
} as unknown as MempoolGenesis

t.test('txs added in one turn leave in one bundle; the caps cut bundles', async (t) => {
  const sent: Uint8Array[][] = []
  const publish = async (b: Uint8Array): Promise<void> => { sent.push(decode(RelayBundleSchema, b).txs) }
  const bundler = new TxBundler({ publish, maxBytes: 64 * 1024 })
  const txs = Array.from({ length: 10 }, (_, i) => tx(i))
  await Promise.all(txs.map(async (x) => bundler.add(x)))
  t.equal(sent.length, 1, '10 txs of one turn: one gossip message')
  t.same(sent[0]!.map((x) => Buffer.from(x).toString('hex')), txs.map((x) => Buffer.from(x).toString('hex')), 'the txs, in order, as their own bytes')

  sent.length = 0
  await Promise.all(Array.from({ length: MAX_RELAY_BUNDLE_TXS + 1 }, async (_, i) => bundler.add(tx(100 + i, 1))))
  t.same(sent.map((b) => b.length), [MAX_RELAY_BUNDLE_TXS, 1], `at most ${MAX_RELAY_BUNDLE_TXS} txs per bundle`)

  sent.length = 0
  const small = new TxBundler({ publish, maxBytes: 4096 })
  const big = (i: number): Uint8Array => tx(200 + i, 1500)
  await Promise.all([0, 1, 2, 3].map(async (i) => small.add(big(i))))
  t.ok(sent.length >= 2 && sent.every((b) => b.reduce((n, x) => n + x.length, 0) <= 4096), `the byte cap splits (${sent.map((b) => b.length).join('+')})`)

  await small.add(tx(300, 8000)).then(() => t.pass('a tx above the byte cap still goes, alone'))
  t.equal(sent.at(-1)!.length, 1)
})

t.test('a failed publish fails every tx of its bundle', async (t) => {
  const bundler = new TxBundler({ publish: async () => { throw new Error('no peers') }, maxBytes: 4096 })
  const results = await Promise.allSettled([bundler.add(tx(1)), bundler.add(tx(2))])
  t.same(results.map((r) => r.status), ['rejected', 'rejected'])
})

t.test('verdicts on gossiped bundles', async (t) => {
  const bundle = (txs: Uint8Array[]): Uint8Array => encode(RelayBundleSchema, { version: 1, txs })
  const notFinal = (): boolean => false
  t.equal(judgeRelayedBundle(genesis, bundle([tx(1), tx(2)]), notFinal), 'accept', 'valid txs: accept (forward)')
  const bad = tx(3)
  bad[bad.length - 1]! ^= 1
  t.equal(judgeRelayedBundle(genesis, bundle([tx(1), bad]), notFinal), 'reject', 'one bad signature rejects the bundle')
  t.equal(judgeRelayedBundle(genesis, new Uint8Array([0x92, 0x01, 0x90]), notFinal), 'reject', 'an empty bundle is malformed')
  t.equal(judgeRelayedBundle(genesis, new Uint8Array([1, 2, 3]), notFinal), 'reject', 'garbage is rejected')
  const over = Array.from({ length: MAX_RELAY_BUNDLE_TXS + 1 }, (_, i) => Buffer.from(tx(10 + i)))
  t.equal(judgeRelayedBundle(genesis, pack([1, over]), notFinal), 'reject', `more than ${MAX_RELAY_BUNDLE_TXS} txs is rejected before any is checked`)
  t.equal(judgeRelayedBundle(genesis, bundle([tx(5)]), () => true), 'ignore', 'only final txs: ignore (not forwarded, no penalty)')
  t.equal(bundleVerdict(['ignore', 'accept', 'ignore']), 'accept')
  t.equal(bundleVerdict(['accept', 'reject']), 'reject')
})

t.test('txs of one turn leave in one bundle per route, each told its route', async (t) => {
  const sent: Array<{ route: string, txs: number[] }> = []
  const bundler = new TxBundler({
    route: (x) => `home-${x[x.length - 1]! % 3}`,
    publish: async (b, route) => { sent.push({ route, txs: decode(RelayBundleSchema, b).txs.map((x) => x[x.length - 1]!) }) },
    maxBytes: 64 * 1024
  })
  const txs = Array.from({ length: 12 }, (_, i) => tx(i))
  await Promise.all(txs.map(async (x) => bundler.add(x)))
  t.equal(sent.length, new Set(sent.map((s) => s.route)).size, 'one bundle per route')
  for (const { route, txs: lasts } of sent) t.ok(lasts.every((last) => `home-${last % 3}` === route), `${route}: only its own txs`)
  t.equal(sent.reduce((n, s) => n + s.txs.length, 0), 12, 'every tx sent once')
})
