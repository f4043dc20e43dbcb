/**
 * The WAL group commit: appends of one event-loop turn share one synced write, and
 * appends made while a write is in flight share the next one (issue #11: a member at
 * 250 admissions/s wrote 1.2 txs per fsync).
 */
import t from 'tap'
import { WalWriter, type WalSink } from '../../src/mempool/wal-writer.js'

function recordingSink (): WalSink & { writes: number[] } {
  const writes: number[] = []
  return { writes, walAppend: async (entries) => { writes.push(entries.length) } }
}

const entry = (i: number): [Uint8Array, Uint8Array] => [new Uint8Array([i]), new Uint8Array([i, i])]

t.test('appends of one turn go in one write', async (t) => {
  const sink = recordingSink()
  const wal = new WalWriter(sink)
  await Promise.all([0, 1, 2, 3, 4].map((i) => wal.append(...entry(i))))
  t.same(sink.writes, [5], 'one write of five records')
})

t.test('appends while a write is in flight go together in the next one', async (t) => {
  const writes: number[] = []
  const release = Promise.withResolvers<void>()
  const started = Promise.withResolvers<void>()
  const wal = new WalWriter({ walAppend: async (entries) => { writes.push(entries.length); started.resolve(); await release.promise } })
  const first = wal.append(...entry(0))
  await started.promise
  const later = [1, 2, 3].map((i) => wal.append(...entry(i)))
  t.equal(wal.backlog, 3, 'three wait behind the write in flight')
  release.resolve()
  await Promise.all([first, ...later])
  t.same(writes, [1, 3])
})

t.test('a failed write rejects its own appends only', async (t) => {
  let fail = true
  const wal = new WalWriter({ walAppend: async () => { if (fail) { fail = false; throw new Error('disk full') } } })
  const a = wal.append(...entry(0))
  await t.rejects(a, /disk full/)
  await t.resolves(wal.append(...entry(1)), 'the next append is written')
})
