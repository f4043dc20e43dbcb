/**
 * The dev one-way partition (NetworkIsolation.mute, the chaos campaign's
 * one-way-partition): what member 0 sends member 1 (consensus frames, chunks, requests,
 * answers to 1's requests) is lost while 1 -> 0 and 0 -> 2 flow, over real transports.
 * Frames to a member travel in order on one stream, so "1 got C from 0 and not A before
 * it" shows A was dropped without waiting for something not to happen.
 */
import t from 'tap'
import { NetworkIsolation, P2PErrorCode } from '../../src/p2p/index.js'
import { rejectsWithCode } from '../helpers/assert-error.js'
import { bytes, chunkId, startCommittee, text, waitFor } from './helpers.js'

t.test('a muted direction drops everything, the others flow, and lifting the mute restores it', async (t) => {
  const isolation = new NetworkIsolation()
  const { members } = await startCommittee(t, 3, (i) => i === 0 ? { isolation } : {})
  const [a, b, c] = members as [typeof members[0], typeof members[0], typeof members[0]]
  await waitFor(() => members.every((m) => m.transport.connectedMembers().length === 2), 10_000, 'all connected')
  const got = members.map(() => [] as string[])
  for (const m of members) m.transport.onMessage((from, data) => { got[m.index]!.push(`${from}:${text(data)}`) })
  const chunks = members.map(() => [] as number[])
  for (const m of members) {
    m.transport.onChunk((from, _data, id) => { chunks[m.index]!.push(from * 1000 + new DataView(id.buffer, id.byteOffset).getUint32(0)); return 'accept' })
  }
  for (const m of [b, c]) m.transport.handle('echo', async (from, data) => bytes(`${from}:${text(data)}`))
  a.transport.handle('echo', async (from, data) => bytes(`${from}:${text(data)}`))

  t.same(isolation.mute([1]), [1])
  a.transport.send(1, bytes('A'))
  a.transport.broadcast(bytes('all-A'))
  await a.transport.publishChunk(new Uint8Array(64).fill(1), chunkId(1))
  b.transport.send(0, bytes('B'))
  await waitFor(() => got[0]!.includes('1:B'), 5000, '1 -> 0 to flow')
  await waitFor(() => got[2]!.includes('0:all-A') && chunks[2]!.includes(1), 5000, '0 -> 2 to flow')
  await rejectsWithCode(t, a.transport.request(1, 'echo', bytes('x'), 300), P2PErrorCode.TIMEOUT, "0's request to 1 is lost")
  await rejectsWithCode(t, b.transport.request(0, 'echo', bytes('y'), 300), P2PErrorCode.TIMEOUT, "0's answer to 1 is lost")
  t.equal(text(await c.transport.request(0, 'echo', bytes('z'), 2000)), '2:z', '0 still answers 2')
  t.equal(a.metrics.dropped.get({ kind: 'consensus', reason: 'muted' }), 2, 'the send and the broadcast copy to 1 are counted')
  t.equal(a.metrics.dropped.get({ kind: 'chunk', reason: 'muted' }), 1)

  t.same(isolation.mute([]), [])
  a.transport.send(1, bytes('C'))
  await a.transport.publishChunk(new Uint8Array(64).fill(2), chunkId(2))
  await waitFor(() => got[1]!.includes('0:C') && chunks[1]!.includes(2), 5000, '0 -> 1 to flow again')
  t.same(got[1], ['0:C'], 'nothing sent while muted reached 1 (frames to a member arrive in order)')
  t.same(chunks[1], [2], 'nor the chunk published while muted')
  t.equal(text(await a.transport.request(1, 'echo', bytes('w'), 2000)), '0:w', 'requests work again')
})
