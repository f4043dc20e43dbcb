/**
 * A member that stops comes back (same seed; same port, then a new port announced with
 * setPeers) and messages and chunks flow again in both directions. Consensus messages sent
 * while it was down are queued (bounded in count and age) and delivered when it returns.
 */
import t from 'tap'
import { createCommitteeTransport, P2PErrorCode, type CommitteeTransport } from '../../src/p2p/index.js'
import { rejectsWithCode } from '../helpers/assert-error.js'
import { addressesOf, bytes, chunkId, sleep, startCommittee, text, waitFor, type Member } from './helpers.js'

for (const chunkTransport of ['direct', 'gossipsub'] as const) {
  t.test(`a stopped member comes back (${chunkTransport})`, async (t) => {
    // Messages queued while a member is down are kept this long (outage-backlog.test.ts: older ones expire).
    const { members, optionsFor } = await startCommittee(t, 4, { chunkTransport, maxQueuedMessageAgeMs: 30_000 })
    const got: string[] = []
    let nextChunk = 0
    const listen = (m: CommitteeTransport): void => {
      m.onMessage((from, data) => { got.push(`${m.selfIndex}<-${from}:${text(data)}`) })
      m.onChunk((_from, _data, id) => { got.push(`${m.selfIndex}<=chunk${new DataView(id.buffer, id.byteOffset).getUint32(0)}`); return 'accept' })
    }
    for (const m of members) listen(m.transport)
    const [a, b] = members as [Member, Member]

    const restart = async (index: number, listenAddr: string, tag: string): Promise<CommitteeTransport> => {
      const transport = await createCommitteeTransport(optionsFor(index, { listen: [listenAddr] }))
      t.teardown(async () => transport.stop())
      listen(transport)
      await transport.start()
      transport.setPeers(addressesOf(members, index))
      await waitFor(() => transport.connectedMembers().length === 3 && members.every((m) => m.index === index || m.transport.connectedMembers().includes(index)), 8000, `${tag}: reconnected`)
      return transport
    }
    const roundTrip = async (back: CommitteeTransport, tag: string): Promise<void> => {
      await waitFor(() => {
        a.transport.send(3, bytes(tag))
        back.send(0, bytes(tag))
        return got.includes(`3<-0:${tag}`) && got.includes(`0<-3:${tag}`)
      }, 5000, `${tag}: messages both ways`)
      // gossipsub needs the returning member's subscription before it publishes to it.
      // A fresh id per attempt: gossipsub drops a re-published id as a duplicate.
      const first = nextChunk
      await waitFor(() => {
        void b.transport.publishChunk(bytes(tag), chunkId(nextChunk++)).catch(() => {})
        return got.some((entry) => entry.startsWith('3<=chunk') && Number(entry.slice(8)) >= first)
      }, 5000, `${tag}: chunk to the returning member`)
      got.length = 0
    }

    const port = Number(/tcp\/(\d+)/.exec(members[3]!.transport.listenAddrs[0]!)![1])
    const stopped = members[3]!.transport
    await Promise.all([stopped.stop(), stopped.stop()])
    await stopped.stop()
    t.pass('stop is safe to call twice, even concurrently')
    await rejectsWithCode(t, stopped.start(), P2PErrorCode.NOT_RUNNING, 'a stopped transport does not start again')
    await rejectsWithCode(t, stopped.publishChunk(bytes('x'), chunkId(1)), P2PErrorCode.NOT_RUNNING)
    await rejectsWithCode(t, stopped.request(0, 'echo', bytes('x'), 100), P2PErrorCode.NOT_RUNNING)
    stopped.send(0, bytes('dropped'))
    t.equal(members[3]!.metrics.dropped.get({ kind: 'consensus', reason: 'not_running' }), 1, 'a send after stop is dropped and counted')
    await waitFor(() => a.transport.connectedMembers().length === 2, 5000, 'a sees the member leave')
    await rejectsWithCode(t, a.transport.request(3, 'echo', bytes('anyone?'), 2000), P2PErrorCode.NOT_CONNECTED, 'a request to a member that is down')
    a.transport.send(3, bytes('while-down'))

    const samePort = await restart(3, `/ip4/127.0.0.1/tcp/${port}`, 'same port')
    await waitFor(() => got.includes('3<-0:while-down'), 5000, 'queued message delivered on return')
    t.pass('a message sent while the member was down arrived after it came back')
    await roundTrip(samePort, 'same-port')
    t.pass('same port: messages and chunks flow again')

    await samePort.stop()
    await sleep(50)
    const newPort = await (async () => {
      const transport = await createCommitteeTransport(optionsFor(3))
      t.teardown(async () => transport.stop())
      listen(transport)
      await transport.start()
      // The others learn the new address from configuration (setPeers) and dial it (the lower index dials).
      for (const m of members.slice(0, 3)) m.transport.setPeers([{ index: 3, addrs: transport.listenAddrs }])
      transport.setPeers(addressesOf(members, 3))
      await waitFor(() => transport.connectedMembers().length === 3, 8000, 'new port: reconnected')
      return transport
    })()
    await roundTrip(newPort, 'new-port')
    t.pass('new port: messages and chunks flow again')
    t.ok(a.metrics.dials.get({ outcome: 'ok' }) >= 1, 'dials are counted')
  })
}
