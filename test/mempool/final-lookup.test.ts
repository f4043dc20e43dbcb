/** The duplicate-of-final check uses the store's synchronous lookup when it has one. */
import t from 'tap'
import { AdmissionErrorCode, Mempool, defaultMempoolOptions, type MempoolGenesis } from '../../src/mempool/index.js'
import { rejectsWithCode } from '../helpers/assert-error.js'
import { makeTx, TEST_CHAIN } from '../helpers/txs.js'
import { FakeMempoolStore } from './fake-store.js'

const genesis: MempoolGenesis = {
  chainId: TEST_CHAIN,
  rollups: [{ id: 1, name: 'a', weight: 1 }],
  limits: { maxPayloadBytes: 1024, maxActionsPerTx: 4, maxTxBytes: 4096, maxExpiryWindowMs: 60_000 }
}

class SyncLookupStore extends FakeMempoolStore {
  asyncLookups = 0
  syncLookups = 0
  override async txLocation (hash: Uint8Array): Promise<unknown> {
    this.asyncLookups++
    return await super.txLocation(hash)
  }

  txLocationSync (hash: Uint8Array): unknown {
    this.syncLookups++
    return this.final.has(Buffer.from(hash).toString('hex')) ? { height: 0, index: 0 } : null
  }
}

t.test('admission asks txLocationSync, not the async lookup, and still refuses a final tx', async (t) => {
  const store = new SyncLookupStore()
  const mempool = new Mempool(genesis, store, defaultMempoolOptions)
  const fresh = makeTx({ nonce: 1 })
  const final = makeTx({ nonce: 2 })
  await mempool.admit(fresh.bytes)
  const { hashHex } = await new Mempool(genesis, new FakeMempoolStore(), defaultMempoolOptions).admit(final.bytes)
  store.final.add(hashHex)
  await rejectsWithCode(t, mempool.admit(final.bytes), AdmissionErrorCode.DUPLICATE, 'final duplicate found by the sync lookup')
  t.equal(store.syncLookups, 2)
  t.equal(store.asyncLookups, 0)
})
