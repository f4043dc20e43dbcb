/**
 * A relayed tx's fate at the follower: relayed while a final batch can still count it,
 * dropped as expired only once none can (the batch timestamps passed its expiry and the
 * grace of batch/payload.ts), so a tx reported dropped never turns up committed.
 */
import t from 'tap'
import { EXPIRY_GRACE_MS } from '../../src/batch/index.js'
import { TxRelay, RELAY_DROP_GRACE_MS } from '../../src/follower/tx-relay.js'
import { AdmissionError, VerifiedSenders, type MempoolGenesis } from '../../src/mempool/index.js'
import { makeTx, TEST_CHAIN } from '../helpers/txs.js'

const genesis: MempoolGenesis = {
  chainId: TEST_CHAIN,
  rollups: [{ id: 1, name: 'a', weight: 1 }, { id: 2, name: 'b', weight: 1 }],
  limits: { maxPayloadBytes: 1024, maxActionsPerTx: 4, maxTxBytes: 4096, maxExpiryWindowMs: 60_000 }
}

t.test('relayed until no batch can count the tx, then dropped as expired', async (t) => {
  const now = Date.now()
  let finalTimestamp = -1
  let clock = now
  const relay = new TxRelay({
    genesis,
    bundler: { add: async () => {} },
    isFinal: () => false,
    finalTimestamp: () => finalTimestamp,
    now: () => clock
  })
  const expiry = now + 10_000
  const { hash } = await relay.submit(makeTx({ expiry }).bytes)
  t.same(relay.status(hash), { status: 'relayed' }, 'fresh: relayed')
  finalTimestamp = expiry + 1000
  t.same(relay.status(hash), { status: 'relayed' }, 'a final batch past its expiry but within the grace: a later batch may still count it')
  finalTimestamp = expiry + EXPIRY_GRACE_MS
  t.match(relay.status(hash), { status: 'dropped', reason: 'expired', code: 'TX_EXPIRED' }, 'past the grace: dropped')
  finalTimestamp = -1
  clock = expiry + RELAY_DROP_GRACE_MS
  t.match(relay.status(hash), { status: 'dropped' }, 'no batch at all, long past expiry: dropped')
})

t.test('the signatures the relay checked are remembered for the in-process rollups, a bad one is not', async (t) => {
  const verifiedSenders = new VerifiedSenders()
  const relay = new TxRelay({ genesis, bundler: { add: async () => {} }, isFinal: () => false, finalTimestamp: () => -1, verifiedSenders })
  const good = makeTx()
  const { hash } = await relay.submit(good.bytes)
  t.ok(verifiedSenders.has(hash, good.tx.signature), 'checked once here: the rollups skip it')
  const forged = makeTx()
  forged.bytes[forged.bytes.length - 1]! ^= 1
  await t.rejects(relay.submit(forged.bytes), AdmissionError)
  t.equal(verifiedSenders.size, 1, 'a signature that failed is not remembered')
})
