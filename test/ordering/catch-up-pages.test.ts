/**
 * Issue #13 item 2: catch-up pages by bytes. A member that rejoins after more than 16 MiB
 * of history (the most a sync response may decode to, codec/msgpack.ts) catches up; before,
 * one response carried up to 256 heights whatever their size, failed to decode and was
 * asked for again, forever.
 */
import t from 'tap'
import { MAX_MESSAGE_BYTES, SyncRequestSchema, encode } from '../../src/codec/index.js'
import { serveSync } from '../../src/ordering/block-sync.js'
import { Cluster } from '../helpers/cluster.js'
import { makeTx } from '../helpers/txs.js'

t.test('a member rejoining after more than 16 MiB of history catches up, page by page', async (t) => {
  const cluster = await Cluster.start(4, { baseTimeoutMs: 100 })
  t.teardown(() => cluster.stop())
  await cluster.crash(3)
  const live = cluster.live()
  // ~12 KiB per tx: 1500 of them are ~18 MiB of batches.
  const hashes: string[] = []
  for (let i = 0; i < 1500; i++) {
    const member = live[i % 3]!
    hashes.push((await member.mempool.admit(makeTx({ rollups: [1, 2, 1], payloadBytes: 4000 }).bytes)).hashHex)
  }
  await cluster.waitFinal(hashes, 60_000)
  const source = live[0]!.store
  const head = source.head()!.height
  let history = 0
  for (let h = 0; h <= head; h++) history += (await source.getBatchBytes(h))!.length + (await source.getCommitProofBytes(h))!.length
  t.ok(history > MAX_MESSAGE_BYTES, `${(history / 2 ** 20).toFixed(1)} MiB of history in ${head + 1} batches`)

  const page = await serveSync(source, encode(SyncRequestSchema, { version: 1, fromHeight: 0, maxCount: 256 }), { maxCount: 256, maxBytes: MAX_MESSAGE_BYTES })
  t.ok(page.length <= MAX_MESSAGE_BYTES, `a page of the whole range stays within the limit (${(page.length / 2 ** 20).toFixed(1)} MiB)`)
  const tiny = await serveSync(source, encode(SyncRequestSchema, { version: 1, fromHeight: 0, maxCount: 256 }), { maxCount: 256, maxBytes: 1 })
  t.ok(tiny.length > 1, 'a page holds at least one height, whatever the limit')

  const started = Date.now()
  const rejoined = await cluster.startMember(3)
  while ((rejoined.store.head()?.height ?? -1) < head && Date.now() - started < 20_000) await new Promise((r) => setTimeout(r, 50))
  t.ok((rejoined.store.head()?.height ?? -1) >= head, `the rejoined member reached height ${rejoined.store.head()?.height ?? -1} of ${head} in ${Date.now() - started} ms`)
})
