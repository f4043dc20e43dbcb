/**
 * Only committee members' traffic is accepted. A plain libp2p node that is not in the
 * committee: is refused at the connection by default; and where a member admits
 * non-member connections (`allowNonMemberConnections`), its consensus frames, requests
 * and chunk gossip are still refused and counted.
 */
import t from 'tap'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { gossipsub, StrictNoSign, type GossipSub } from '@libp2p/gossipsub'
import { identify } from '@libp2p/identify'
import type { Stream } from '@libp2p/interface'
import { tcp } from '@libp2p/tcp'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { P2PErrorCode } from '../../src/p2p/index.js'
import { encodeFrame } from '../../src/p2p/framing.js'
import { bytes, chunkId, sleep, startCommittee, waitFor } from './helpers.js'

const TOPIC = '/seq/p2p-test/chunks/1'

async function outsider (t: { teardown (fn: () => unknown): void }): Promise<Awaited<ReturnType<typeof createLibp2p<{ pubsub: GossipSub }>>>> {
  const node = await createLibp2p({
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: {
      identify: identify(),
      pubsub: gossipsub({ globalSignaturePolicy: StrictNoSign, msgIdFn: (msg) => msg.data.subarray(0, 32), allowPublishToZeroTopicPeers: true })
    }
  })
  t.teardown(async () => node.stop())
  return node
}

/** The member resets the stream as soon as it is negotiated, maybe before we write. */
function sendIfOpen (stream: Stream, frame: Uint8Array): void {
  if (stream.writeStatus === 'writable') stream.send(frame)
}

t.test('a non-member is refused', async (t) => {
  // Member 0 admits non-member connections (to check the per-stream and gossip checks);
  // member 1 keeps the default and refuses the connection itself.
  const { members } = await startCommittee(t, 2, (index) => ({ chunkTransport: 'gossipsub', allowNonMemberConnections: index === 0 }))
  const [open, gated] = members as [typeof members[0], typeof members[0]]
  const delivered: string[] = []
  for (const m of members) {
    m.transport.onMessage((from) => { delivered.push(`message from ${from}`) })
    m.transport.onChunk((from) => { delivered.push(`chunk from ${from}`); return 'accept' })
    m.transport.handle('echo', async (_from, data) => data)
  }
  const node = await outsider(t)

  t.test('by the connection gater', async (t) => {
    await t.rejects(async () => {
      const conn = await node.dial(multiaddr(gated.transport.listenAddrs[0]!))
      // The remote may finish the handshake before it decides; then the connection dies.
      await waitFor(() => conn.status !== 'open', 2000, 'connection closed')
      throw new Error('refused after the handshake')
    })
    await waitFor(() => gated.metrics.refused.get({ kind: 'connection', reason: P2PErrorCode.NOT_MEMBER }) >= 1, 2000, 'counted')
    t.pass('counted as a refused connection')
  })

  t.test('stream by stream when the connection is admitted', async (t) => {
    const addr = multiaddr(open.transport.listenAddrs[0]!)
    const stream = await node.dialProtocol(addr, '/seq/p2p-test/consensus/1')
    sendIfOpen(stream, encodeFrame(bytes('vote for me')))
    await waitFor(() => stream.status !== 'open', 2000, 'stream reset')
    t.equal(open.metrics.refused.get({ kind: 'consensus', reason: P2PErrorCode.NOT_MEMBER }), 1, 'consensus stream refused and counted')

    const req = await node.dialProtocol(addr, '/seq/p2p-test/req/echo/1')
    sendIfOpen(req, encodeFrame(Uint8Array.of(0, 0, 0, 0, 1), bytes('hi')))
    await waitFor(() => req.status !== 'open', 2000, 'request stream reset')
    t.equal(open.metrics.refused.get({ kind: 'request', reason: P2PErrorCode.NOT_MEMBER }), 1, 'request stream refused and counted')
  })

  t.test('chunk gossip from a non-member is rejected and counted', async (t) => {
    node.services.pubsub.subscribe(TOPIC)
    await waitFor(() => node.services.pubsub.getSubscribers(TOPIC).some((p) => p.toString() === open.transport.peerIdOf(0)), 3000, 'subscription seen')
    const envelope = new Uint8Array(32 + 100)
    envelope.set(chunkId(7))
    const result = await node.services.pubsub.publish(TOPIC, envelope)
    t.equal(result.recipients.length, 1, 'the outsider sent it to the member')
    await waitFor(() => open.metrics.chunkVerdicts.get({ topic: TOPIC, verdict: 'reject', reason: P2PErrorCode.NOT_MEMBER }) === 1, 3000, 'rejected')
    t.pass('rejected as not a member')
  })

  await sleep(100)
  t.same(delivered, [], 'nothing from the outsider reached a handler')
  t.equal(open.transport.connectedMembers().length, 1, 'the members stay connected to each other')
})
