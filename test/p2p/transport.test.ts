/**
 * Four members in one process over real libp2p on 127.0.0.1, chunks in `direct` mode:
 * identities, consensus messages, direct chunks with validator verdicts, request/response,
 * and refusal of oversized frames.
 */
import t from 'tap'
import { peerIdFromPublicKey } from '@libp2p/peer-id'
import { publicKeyFromRaw } from '@libp2p/crypto/keys'
import { createCommitteeTransport, P2PErrorCode, type ChunkVerdict } from '../../src/p2p/index.js'
import { rejectsWithCode, throwsWithCode } from '../helpers/assert-error.js'
import { bytes, chunkId, startCommittee, text, waitFor } from './helpers.js'

t.test('four members: identity, messages, chunks, requests', async (t) => {
  const { members, keys, optionsFor } = await startCommittee(t, 4)
  const [a, b, c, d] = members as [typeof members[0], typeof members[0], typeof members[0], typeof members[0]]

  t.test('each PeerId derives from the member genesis key', async (t) => {
    for (const m of members) {
      const expected = peerIdFromPublicKey(publicKeyFromRaw(keys[m.index]!.publicKey)).toString()
      for (const other of members) t.equal(other.transport.peerIdOf(m.index), expected)
      t.ok(m.transport.listenAddrs.length > 0 && m.transport.listenAddrs.every((addr) => addr.endsWith(`/p2p/${expected}`)), 'listen addrs name our PeerId')
      t.same(m.transport.connectedMembers(), members.map((x) => x.index).filter((i) => i !== m.index))
    }
  })

  t.test('send and broadcast arrive from the right member, in order per sender', async (t) => {
    const COUNT = 300
    const received = members.map(() => new Map<number, number[]>())
    for (const m of members) {
      m.transport.onMessage((from, data) => {
        const [kind, n] = text(data).split(':')
        const list = received[m.index]!.get(from) ?? []
        list.push(Number(n) + (kind === 'direct' ? 100_000 : 0))
        received[m.index]!.set(from, list)
      })
    }
    for (let i = 0; i < COUNT; i++) {
      for (const m of members) m.transport.broadcast(bytes(`all:${i}`))
      a.transport.send(1, bytes(`direct:${i}`))
    }
    const expected = (receiver: number, sender: number): number[] => {
      const list = Array.from({ length: COUNT }, (_, i) => i)
      if (sender === 0 && receiver === 1) return [...list, ...list.map((i) => i + 100_000)]
      return list
    }
    await waitFor(() => members.every((r) => members.every((s) => s === r || (received[r.index]!.get(s.index)?.length ?? 0) === expected(r.index, s.index).length)), 5000, 'all messages')
    for (const r of members) {
      t.notOk(received[r.index]!.has(r.index), `member ${r.index} got nothing from itself`)
      for (const s of members) {
        if (s === r) continue
        const got = received[r.index]!.get(s.index)!
        // Per sender, broadcasts and direct sends interleave but each series is in order.
        t.same(got.filter((n) => n < 100_000), expected(r.index, s.index).filter((n) => n < 100_000), `${s.index} -> ${r.index} broadcasts in order`)
        t.same(got.filter((n) => n >= 100_000), expected(r.index, s.index).filter((n) => n >= 100_000), `${s.index} -> ${r.index} sends in order`)
      }
    }
    t.equal(a.metrics.messagesOut.get({ kind: 'consensus' }), COUNT * 3 + COUNT, 'sender counted its frames')
    t.equal(b.metrics.messagesIn.get({ kind: 'consensus' }), COUNT * 3 + COUNT, 'receiver counted its frames')
    throwsWithCode(t, () => { a.transport.send(0, bytes('me')) }, P2PErrorCode.BAD_ARGUMENT, 'sending to ourselves is a bug')
    throwsWithCode(t, () => { a.transport.send(4, bytes('nobody')) }, P2PErrorCode.BAD_ARGUMENT)
    throwsWithCode(t, () => { a.transport.broadcast(new Uint8Array(256 * 1024 + 1)) }, P2PErrorCode.TOO_LARGE)
  })

  t.test('publishChunk reaches every other member; verdicts are counted', async (t) => {
    const seen = members.map(() => [] as Array<{ from: number, size: number, id: number }>)
    const verdictOf = (data: Uint8Array): ChunkVerdict => (['accept', 'ignore', 'reject'] as const)[data[0]! % 3]!
    for (const m of members) {
      m.transport.onChunk((from, data, id) => {
        seen[m.index]!.push({ from, size: data.byteLength, id: new DataView(id.buffer, id.byteOffset).getUint32(0) })
        if (data[0] === 99) throw new Error('validator bug')
        return verdictOf(data)
      })
    }
    const chunk = (kind: number, size = 32 * 1024): Uint8Array => new Uint8Array(size).fill(kind)
    await d.transport.publishChunk(chunk(0), chunkId(1))
    await d.transport.publishChunk(chunk(1), chunkId(2))
    await d.transport.publishChunk(chunk(2), chunkId(3))
    await d.transport.publishChunk(chunk(99, 10), chunkId(4))
    // Same bytes, other id: a separate chunk.
    await d.transport.publishChunk(chunk(0), chunkId(5))
    await waitFor(() => members.every((m) => m === d || seen[m.index]!.length === 5), 5000, 'chunks')
    for (const m of [a, b, c]) {
      t.same(seen[m.index]!.map((s) => [s.from, s.id, s.size]), [[3, 1, 32768], [3, 2, 32768], [3, 3, 32768], [3, 4, 10], [3, 5, 32768]])
      const topic = `/seq/p2p-test/chunks/1`
      t.equal(m.metrics.chunkVerdicts.get({ topic, verdict: 'accept', reason: 'validator' }), 2)
      t.equal(m.metrics.chunkVerdicts.get({ topic, verdict: 'ignore', reason: 'validator' }), 1)
      t.equal(m.metrics.chunkVerdicts.get({ topic, verdict: 'reject', reason: 'validator' }), 1)
      t.equal(m.metrics.chunkVerdicts.get({ topic, verdict: 'ignore', reason: 'error' }), 1, 'a throwing validator means ignore')
    }
    t.equal(seen[d.index]!.length, 0, 'the publisher does not get its own chunk')
    t.equal(d.metrics.messagesOut.get({ kind: 'chunk' }), 15)
    await rejectsWithCode(t, d.transport.publishChunk(chunk(0), new Uint8Array(31)), P2PErrorCode.BAD_ARGUMENT)
    await rejectsWithCode(t, d.transport.publishChunk(new Uint8Array(256 * 1024 + 1), chunkId(6)), P2PErrorCode.TOO_LARGE)
  })

  t.test('request/response: answers, timeouts, remote errors', async (t) => {
    b.transport.handle('echo', async (from, data) => bytes(`${from}:${text(data)}`))
    // 'slow' answers only when the test opens the gate, so the timeout is known to fire first.
    let openGate!: () => void
    const gate = new Promise<void>((resolve) => { openGate = resolve })
    let slowAnswered = false
    b.transport.handle('slow', async () => { await gate; slowAnswered = true; return bytes('late') })
    b.transport.handle('fail', async () => { throw Object.assign(new Error('no such block'), { code: 'STORE_NOT_FOUND' }) })
    b.transport.handle('huge', async () => new Uint8Array(256 * 1024 + 1))

    t.equal(text(await a.transport.request(1, 'echo', bytes('ping'), 2000)), '0:ping')
    const answers = await Promise.all(Array.from({ length: 50 }, async (_, i) => text(await c.transport.request(1, 'echo', bytes(`n${i}`), 2000))))
    t.same(answers, Array.from({ length: 50 }, (_, i) => `2:n${i}`), 'concurrent requests on one stream get their own answers')

    await rejectsWithCode(t, a.transport.request(1, 'slow', bytes('x'), 100), P2PErrorCode.TIMEOUT)
    const err = await rejectsWithCode(t, a.transport.request(1, 'fail', bytes('x'), 2000), P2PErrorCode.REMOTE_ERROR) as Error
    t.match(err.message, /STORE_NOT_FOUND: no such block/)
    await rejectsWithCode(t, a.transport.request(1, 'huge', bytes('x'), 2000), P2PErrorCode.REMOTE_ERROR, 'an oversized response becomes a remote error')
    await rejectsWithCode(t, a.transport.request(1, 'nothing', bytes('x'), 2000), P2PErrorCode.UNSUPPORTED_PROTOCOL)
    await rejectsWithCode(t, a.transport.request(1, 'echo', new Uint8Array(256 * 1024 + 1), 2000), P2PErrorCode.TOO_LARGE)
    await rejectsWithCode(t, async () => a.transport.request(1, 'bad/name', bytes('x'), 2000), P2PErrorCode.BAD_ARGUMENT)
    // The stream survives all of that, and a late answer to a timed-out request is dropped.
    const servedBefore = b.metrics.messagesOut.get({ kind: 'response' })
    openGate()
    await waitFor(() => slowAnswered && b.metrics.messagesOut.get({ kind: 'response' }) > servedBefore, 5000, 'the late answer to go out')
    t.equal(text(await a.transport.request(1, 'echo', bytes('again'), 2000)), '0:again')
    t.equal(a.metrics.requests.get({ protocol: 'echo', outcome: 'ok' }), 2)
    t.equal(a.metrics.requests.get({ protocol: 'slow', outcome: P2PErrorCode.TIMEOUT }), 1)
  })

  t.test('an oversized frame is refused, counted, and the stream reset; traffic then resumes', async (t) => {
    // A member configured with a larger limit than the others sends what they must refuse.
    await c.transport.stop()
    const big = await createCommitteeTransport(optionsFor(2, { maxMessageBytes: 1024 * 1024 }))
    t.teardown(async () => big.stop())
    await big.start()
    big.setPeers([{ index: 0, addrs: a.transport.listenAddrs }])
    a.transport.setPeers([{ index: 2, addrs: big.listenAddrs }]) // the lower index dials
    await waitFor(() => big.connectedMembers().includes(0), 5000, 'reconnect')
    const got: string[] = []
    a.transport.onMessage((from, data) => { got.push(`${from}:${data.byteLength}`) })
    big.send(0, new Uint8Array(300 * 1024))
    await waitFor(() => a.metrics.refused.get({ kind: 'consensus', reason: P2PErrorCode.TOO_LARGE }) === 1, 5000, 'refusal')
    await waitFor(() => { big.send(0, bytes('small')); return got.includes('2:5') }, 5000, 'traffic after the reset')
    t.notOk(got.includes(`2:${300 * 1024}`), 'the oversized frame was not delivered')
  })
})
