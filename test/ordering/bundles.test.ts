/**
 * Atomic cross-rollup bundles: a tx with actions for two rollups is final in one batch,
 * appears in both rollups' slices at that height with the same bundle id (tx hash), and no
 * batch ever holds part of a bundle, also when the mempool is full and refusing txs.
 */
import t from 'tap'
import { bytesToHex } from '../../src/crypto/index.js'
import { AdmissionError } from '../../src/mempool/index.js'
import { SliceService } from '../../src/node/slice-service.js'
import { Cluster } from '../helpers/cluster.js'
import { makeTx } from '../helpers/txs.js'

t.test('bundles land whole in both slices, with a full mempool pushing back', async (t) => {
  const cluster = await Cluster.start(4, {}, { maxTxs: 60 })
  t.teardown(() => cluster.stop())
  const bundles: string[] = []
  const refused = new Map<string, number>()
  const submissions: Array<Promise<void>> = []
  for (let i = 0; i < 600; i++) {
    const member = cluster.live()[i % 4]!
    const rollups = i % 3 === 0 ? [1, 2] : i % 3 === 1 ? [2, 1] : [1 + (i % 2)]
    submissions.push(member.mempool.admit(makeTx({ rollups, payloadBytes: 40 }).bytes).then(({ hashHex }) => {
      if (rollups.length === 2) bundles.push(hashHex)
    }, (err: AdmissionError) => { refused.set(err.code, (refused.get(err.code) ?? 0) + 1) }))
  }
  await Promise.all(submissions)
  t.ok([...refused.values()].reduce((a, b) => a + b, 0) > 0, `the full mempool pushed back: ${JSON.stringify(Object.fromEntries(refused))}`)
  t.ok(bundles.length > 10, `${bundles.length} bundles acknowledged`)
  await cluster.waitFinal(bundles, 60_000)

  const member = cluster.live()[2]!
  const slices = new SliceService(member.store)
  const height = member.store.head()!.height
  const seen = new Map<string, { heights: Set<number>, rollups: Set<number>, actions: number }>()
  for (let h = 0; h <= height; h++) {
    for (const rollupId of [1, 2]) {
      const found = await slices.getSlice(rollupId, h)
      for (const leaf of found!.leaves) {
        if (leaf.actionCount < 2) continue
        const key = bytesToHex(leaf.txHash)
        const entry = seen.get(key) ?? { heights: new Set(), rollups: new Set(), actions: 0 }
        entry.heights.add(h)
        entry.rollups.add(rollupId)
        entry.actions++
        seen.set(key, entry)
      }
    }
  }
  const split = [...seen].filter(([, e]) => e.heights.size !== 1 || e.rollups.size !== 2 || e.actions !== 2)
  t.same(split, [], `every one of ${seen.size} bundles is whole: one height, both rollups, both actions`)
  t.ok(bundles.every((b) => seen.has(b)), 'every acknowledged bundle is in the chain')
})
