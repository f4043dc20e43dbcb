/**
 * Issue #17: with both ends of a pair dialling, members ended up with two connections per
 * pair and gossipsub's link could turn one-way for good. Here every member is cut off and
 * healed at the same instant, many times (before the fix, heal dialled every member from
 * both ends at once), for both chunk transports. After each cycle every pair must hold
 * exactly one connection, and every direction must deliver consensus messages and chunks.
 */
import t from 'tap'
import { NetworkIsolation, type CommitteeTransportOptions } from '../../src/p2p/index.js'
import { bytes, chunkId, startCommittee, text, waitFor, type Member } from './helpers.js'

const SIZE = 4
const CYCLES = 6

/** Probes until every member has heard a message and a chunk relayed by every other one. */
async function everyDirectionDelivers (members: Member[], cycle: number, heard: Array<Set<string>>): Promise<void> {
  for (const set of heard) set.clear()
  let seq = 0
  await waitFor(() => {
    for (const m of members) {
      m.transport.broadcast(bytes(`c${cycle}`))
      // fresh ids: gossipsub drops a re-published id as a duplicate
      void m.transport.publishChunk(new Uint8Array(1), chunkId(cycle * 1_000_000 + m.index * 100_000 + seq++)).catch(() => {})
    }
    return members.every((m) => heard[m.index]!.size === 2 * (SIZE - 1))
  }, 10_000, `cycle ${cycle}: every direction delivers`)
}

for (const chunkTransport of ['direct', 'gossipsub'] as const) {
  t.test(`one connection per pair through ${CYCLES} simultaneous cut-and-heal cycles (${chunkTransport})`, async (t) => {
    const isolations = Array.from({ length: SIZE }, () => new NetworkIsolation())
    const { members } = await startCommittee(t, SIZE, (index): Partial<CommitteeTransportOptions> => ({ chunkTransport, isolation: isolations[index]!, redialMinMs: 20, redialMaxMs: 200 }))
    const heard = members.map(() => new Set<string>())
    let cycle = 0
    for (const m of members) {
      m.transport.onMessage((from, data) => { if (text(data) === `c${cycle}`) heard[m.index]!.add(`msg${from}`) })
      m.transport.onChunk((from, _data, id) => {
        if (Math.floor(new DataView(id.buffer, id.byteOffset).getUint32(0) / 1_000_000) === cycle) heard[m.index]!.add(`chunk${from}`)
        return 'accept'
      })
    }
    for (cycle = 1; cycle <= CYCLES; cycle++) {
      for (const isolation of isolations) isolation.isolate()
      await waitFor(() => members.every((m) => m.transport.connectedMembers().length === 0), 5000, `cycle ${cycle}: all cut off`)
      for (const isolation of isolations) isolation.heal()
      await waitFor(() => members.every((m) => m.transport.connectedMembers().length === SIZE - 1), 10_000, `cycle ${cycle}: full mesh again`)
      await everyDirectionDelivers(members, cycle, heard)
      for (const m of members) {
        const counts = [...m.transport.connectionCounts()]
        t.ok(counts.every(([, count]) => count === 1), `cycle ${cycle}: member ${m.index} holds one connection per member ${JSON.stringify(counts)}`)
      }
    }
  })
}
