/**
 * Only committee members' traffic is accepted. A plain libp2p node that is not in the
 * committee: is refused at the connection by default; and where a member admits
 * non-member connections (`allowNonMemberConnections`), its consensus frames, requests
 * and chunk gossip are still refused and counted. A member that sends garbage has its
 * streams reset and counted, and the node keeps working.
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
import { randomBytes, randomInt } from 'node:crypto'
import { generateKeyPair } from '../../src/crypto/index.js'
import {
  createCommitteeTransport, P2PErrorCode, type CommitteeTransportOptions, type MemoryP2PMetrics
} from '../../src/p2p/index.js'
import { encodeFrame } from '../../src/p2p/framing.js'
import { bytes, CHAIN_ID, chunkId, memberOptions, plainNode, startCommittee, text, waitFor } from './helpers.js'

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

  // Each refusal above was awaited; a delivery would have come before it, on the same path.
  t.same(delivered, [], 'nothing from the outsider reached a handler')
  t.equal(open.transport.connectedMembers().length, 1, 'the members stay connected to each other')
})

t.test('garbage from a member never crashes the node: streams are reset and counted', async (t) => {
  // Members 0 and 1 run the transport; "member 2" is a plain libp2p node holding member 2's
  // key, so it passes the membership checks and then misbehaves on the wire.
  const keys = [generateKeyPair(), generateKeyPair(), generateKeyPair()]
  // This test is about surviving garbage; peer-guard.test.ts covers the ban it would earn.
  const options = (index: number): CommitteeTransportOptions & { metrics: MemoryP2PMetrics } =>
    memberOptions(keys, index, { maxMessageBytes: 64 * 1024, peerGuard: { banScore: Number.NEGATIVE_INFINITY } })
  const opts0 = options(0)
  const victim = await createCommitteeTransport(opts0)
  t.teardown(async () => victim.stop())
  const friend = await createCommitteeTransport(options(1))
  t.teardown(async () => friend.stop())
  await victim.start()
  await friend.start()
  friend.setPeers([{ index: 0, addrs: victim.listenAddrs }])
  victim.setPeers([{ index: 1, addrs: friend.listenAddrs }]) // the lower index dials
  victim.handle('echo', async (_from, data) => data)
  const messages: number[] = []
  victim.onMessage((from) => { messages.push(from) })

  const rogue = await plainNode(keys[2]!.seed)
  t.teardown(async () => rogue.stop())
  const target = multiaddr(victim.listenAddrs[0]!)
  const attack = async (protocol: string, data: Uint8Array): Promise<void> => {
    const stream = await rogue.dialProtocol(target, `/seq/${CHAIN_ID}/${protocol}`)
    sendIfOpen(stream, data)
    await waitFor(() => stream.status !== 'open', 2000, `${protocol} stream reset`)
  }

  await attack('consensus/1', Uint8Array.of(0x80, 0x80, 0x80, 0x05)) // declares a 10 MiB frame
  t.equal(opts0.metrics.refused.get({ kind: 'consensus', reason: P2PErrorCode.TOO_LARGE }), 1, 'oversized consensus frame')
  await attack('chunks/1', encodeFrame(new Uint8Array(10))) // a chunk frame without its 32-byte id
  t.equal(opts0.metrics.refused.get({ kind: 'chunk', reason: P2PErrorCode.MALFORMED }), 1, 'chunk frame without an id')
  await attack('req/echo/1', encodeFrame(Uint8Array.of(7, 0, 0, 0, 1))) // unknown frame kind
  t.equal(opts0.metrics.refused.get({ kind: 'request', reason: P2PErrorCode.MALFORMED }), 1, 'request frame of an unknown kind')
  await attack('req/echo/1', Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff))
  t.equal(opts0.metrics.refused.get({ kind: 'request', reason: P2PErrorCode.MALFORMED }), 2, 'overlong varint')

  // Random bytes on every protocol: whatever parses as frames is delivered as opaque bytes,
  // the rest resets the stream; the node keeps serving.
  for (let i = 0; i < 30; i++) {
    for (const protocol of ['consensus/1', 'chunks/1', 'req/echo/1']) {
      const stream = await rogue.dialProtocol(target, `/seq/${CHAIN_ID}/${protocol}`)
      sendIfOpen(stream, randomBytes(1 + randomInt(2000)))
      stream.abort(new Error('done'))
    }
  }
  await waitFor(() => friend.connectedMembers().includes(0), 5000, 'friend connected')
  t.equal(text(await friend.request(0, 'echo', bytes('still here'), 2000)), 'still here', 'the node still answers its peers')
  t.ok(messages.every((from) => from === 2), 'garbage that parsed as frames is attributed to the member that sent it')
})
