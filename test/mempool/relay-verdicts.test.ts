/**
 * The verdict on a tx another peer relayed (follower/relayed-tx.ts) by admission code:
 * REJECT for a tx wrong in itself, IGNORE for what an honest relay can hand over. Expected
 * verdicts are written out, not read from the module under test.
 */
import t from 'tap'
import { encode, TxSchema } from '../../src/codec/index.js'
import { judgeRelayedTx } from '../../src/follower/relayed-tx.js'
import { admissionVerdicts } from '../../src/mempool/index.js'
import { clusterGenesis } from '../helpers/cluster.js'
import { makeTx } from '../helpers/txs.js'

t.test('every admission code has a verdict', async (t) => {
  t.same(admissionVerdicts, {
    TX_MALFORMED: 'REJECT',
    TX_TOO_LARGE: 'REJECT',
    TX_UNKNOWN_ROLLUP: 'REJECT',
    TX_BAD_SIGNATURE: 'REJECT',
    TX_EXPIRY_TOO_FAR: 'REJECT',
    TX_EXPIRED: 'IGNORE',
    TX_DUPLICATE: 'IGNORE',
    TX_LANE_FULL: 'IGNORE',
    TX_MEMPOOL_FULL: 'IGNORE',
    OVERLOADED: 'IGNORE'
  })
})

t.test('relayed txs: each stateless rule gives its verdict', async (t) => {
  const never = (): boolean => false
  const judge = (bytes: Uint8Array, isFinal = never): string => judgeRelayedTx(clusterGenesis, bytes, isFinal)
  t.equal(judge(makeTx().bytes), 'accept', 'a valid tx')
  t.equal(judge(makeTx().bytes, () => true), 'ignore', 'already final: old news')
  t.equal(judge(makeTx({ expiry: Date.now() - 1000 }).bytes), 'ignore', 'expired on the way')
  t.equal(judge(makeTx({ expiry: Date.now() + 10 * 600_000 }).bytes), 'reject', 'expiry beyond the window')
  t.equal(judge(makeTx({ rollups: [99] }).bytes), 'reject', 'unknown rollup')
  t.equal(judge(makeTx({ payloadBytes: 5000 }).bytes), 'reject', 'payload over the genesis limit')
  t.equal(judge(Uint8Array.of(1, 2, 3)), 'reject', 'not a tx')
  const { tx } = makeTx()
  const forged = { ...tx, signature: new Uint8Array(tx.signature).fill(0) }
  t.equal(judge(encode(TxSchema, forged)), 'reject', 'bad signature')
})
