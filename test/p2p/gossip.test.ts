/**
 * Four members with chunks on gossipsub: every chunk reaches every other member exactly
 * once (the message id is the chunk id, not a hash of the bytes), and verdicts are counted
 * per topic.
 */
import t from 'tap'
import type { ChunkVerdict } from '../../src/p2p/index.js'
import { chunkId, startCommittee, waitFor } from './helpers.js'

const TOPIC = '/seq/p2p-test/chunks/1'

t.test('gossipsub chunks: delivery, dedup by id, verdict counters', async (t) => {
  const { members } = await startCommittee(t, 4, { chunkTransport: 'gossipsub' })
  const seen = members.map(() => [] as Array<{ from: number, id: number, size: number }>)
  // Probe chunks (ids from 90_000 up within each member's range) are counted apart.
  const isProbe = (id: number): boolean => id % 100_000 >= 90_000
  const probesFrom = members.map(() => new Set<number>())
  const probeCount = members.map(() => 0)
  for (const m of members) {
    m.transport.onChunk((from, data, idBytes) => {
      const id = new DataView(idBytes.buffer, idBytes.byteOffset).getUint32(0)
      if (isProbe(id)) {
        probesFrom[m.index]!.add(from)
        probeCount[m.index]!++
        return 'accept'
      }
      seen[m.index]!.push({ from, id, size: data.byteLength })
      if (data[0] === 99) throw new Error('validator bug')
      return (['accept', 'ignore', 'reject'] as const)[data[0]! % 3] as ChunkVerdict
    })
  }
  // gossipsub sends only to peers it knows to be subscribed: probe until every member has
  // heard from every other one.
  let probe = 90_000
  await waitFor(() => {
    for (const m of members) void m.transport.publishChunk(new Uint8Array(1), chunkId(m.index * 100_000 + probe++))
    return members.every((m) => probesFrom[m.index]!.size === 3)
  }, 5000, 'subscriptions exchanged')

  const PER_MEMBER = 20
  await Promise.all(members.map(async (m) => {
    for (let i = 0; i < PER_MEMBER; i++) {
      await m.transport.publishChunk(new Uint8Array(32 * 1024).fill(0), chunkId(m.index * 100_000 + i))
    }
  }))
  await waitFor(() => members.every((m) => seen[m.index]!.length === 3 * PER_MEMBER), 10_000, 'all chunks')
  for (const m of members) {
    const ids = seen[m.index]!.map((s) => s.id)
    t.equal(new Set(ids).size, ids.length, `member ${m.index} saw each chunk once although all carry the same bytes`)
    t.notOk(ids.some((id) => Math.floor(id / 100_000) === m.index), 'none of its own')
    t.ok(seen[m.index]!.every((s) => s.from !== m.index && s.from >= 0 && s.from < 4 && s.size === 32 * 1024), 'from is another member')
    t.equal(m.metrics.chunkVerdicts.get({ topic: TOPIC, verdict: 'accept', reason: 'validator' }), 3 * PER_MEMBER + probeCount[m.index]!)
  }

  // Publishing the same id again is a duplicate: nobody sees it twice.
  // A chunk published after it is the barrier: once that arrived, the duplicate would have too.
  await members[0]!.transport.publishChunk(new Uint8Array(10).fill(0), chunkId(0))
  await members[0]!.transport.publishChunk(new Uint8Array(10).fill(0), chunkId(4999))
  await waitFor(() => seen[1]!.some((s) => s.id === 4999), 5000, 'the chunk published after the duplicate')
  t.equal(seen[1]!.filter((s) => s.id === 0).length, 1, 'a re-published id is not delivered again')

  // ignore, reject and a throwing validator, from member 3
  const before = members.map((m) => seen[m.index]!.length)
  await members[3]!.transport.publishChunk(new Uint8Array(100).fill(1), chunkId(5001))
  await members[3]!.transport.publishChunk(new Uint8Array(100).fill(2), chunkId(5002))
  await members[3]!.transport.publishChunk(new Uint8Array(100).fill(99), chunkId(5003))
  await waitFor(() => [0, 1, 2].every((i) => seen[i]!.length === before[i]! + 3), 5000, 'verdict chunks')
  for (const m of members.slice(0, 3)) {
    t.equal(m.metrics.chunkVerdicts.get({ topic: TOPIC, verdict: 'ignore', reason: 'validator' }), 1)
    t.equal(m.metrics.chunkVerdicts.get({ topic: TOPIC, verdict: 'reject', reason: 'validator' }), 1)
    t.equal(m.metrics.chunkVerdicts.get({ topic: TOPIC, verdict: 'ignore', reason: 'error' }), 1, 'a throwing validator means ignore')
  }
})

t.test('gossipsub: REJECT verdicts cut the sender off, IGNORE verdicts do not', async (t) => {
  const { members } = await startCommittee(t, 3, { chunkTransport: 'gossipsub' })
  // Every member judges alike: chunks published by member 0 are invalid, by member 1 merely
  // uninteresting. The chunk id's first byte names the publisher here.
  const delivered = members.map(() => [0, 0])
  for (const m of members) {
    m.transport.onChunk((_from, _data, id) => {
      const publisher = id[0]!
      if (publisher < 2) delivered[m.index]![publisher]!++
      return publisher === 0 ? 'reject' : publisher === 1 ? 'ignore' : 'accept'
    })
  }
  let seq = 0
  const publish = async (publisher: number): Promise<void> => {
    const id = chunkId(seq++)
    id[0] = publisher
    await members[publisher]!.transport.publishChunk(new Uint8Array(100), id)
  }
  await waitFor(() => {
    void publish(0)
    void publish(1)
    return delivered[2]![0]! > 0 && delivered[2]![1]! > 0
  }, 5000, 'first deliveries')
  // Keep both publishing; member 2 must stop hearing member 0 within a few heartbeats. A
  // round ends when member 2 has the chunks member 1 published after member 0's: member 0
  // is cut off once a whole round of its chunks stays out while member 1's come in.
  let cutOff = false
  for (let round = 0; round < 60 && !cutOff; round++) {
    const before = delivered[2]!.slice()
    for (let i = 0; i < 5; i++) await publish(0)
    for (let i = 0; i < 5; i++) await publish(1)
    await waitFor(() => delivered[2]![1]! >= before[1]! + 5, 5000, 'member 1\'s chunks of this round')
    cutOff = delivered[2]![0] === before[0]
  }
  t.ok(cutOff, `member 2 stopped taking chunks from the member it rejected (after ${delivered[2]![0]} rejects)`)
  const ignoredBefore = delivered[2]![1]!
  for (let i = 0; i < 5; i++) await publish(1)
  await waitFor(() => delivered[2]![1]! >= ignoredBefore + 5, 3000, 'ignored chunks still delivered')
  t.pass('chunks it only ignored still arrive from the other member')
  t.ok(members[2]!.metrics.chunkVerdicts.get({ verdict: 'reject', reason: 'validator' }) >= 3)
})
