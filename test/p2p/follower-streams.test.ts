/**
 * The streams between a follower and a member's public host, on 127.0.0.1: the final push
 * (src/p2p/final-push.ts): a follower that lists the member in `members` subscribes once
 * connected and gets each pushed item on its final validator marked `push`, in order; a
 * frame above the size limit ends the stream; it stays off the final topic while f + 1
 * members push to it. The direct tx stream (src/p2p/direct-txs.ts):
 * bundles sent on it reach the member's tx validator marked `direct`, and a bundle it
 * rejects is the follower's strike like one on the topic.
 */
import t, { type Test } from 'tap'
import { generateKeyPair } from '../../src/crypto/index.js'
import { PublicNetwork } from '../../src/p2p/public-network.js'

const sleep = async (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

async function waitFor (condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await sleep(20)
  }
}

async function pair (t: Test): Promise<{ member: PublicNetwork, follower: PublicNetwork, got: Array<{ bytes: Uint8Array, via: string }>, txs: Array<{ bytes: Uint8Array, via: string }> }> {
  const member = new PublicNetwork({ chainId: 'push', seed: generateKeyPair().seed, listen: ['/ip4/127.0.0.1/tcp/0'], bootstrap: [], maxMessageBytes: 64 * 1024, serveFollowers: true, subscribeFinal: false })
  const txs: Array<{ bytes: Uint8Array, via: string }> = []
  member.onFinalBatch(() => 'ignore')
  await member.start()
  t.teardown(async () => member.stop())
  const got: Array<{ bytes: Uint8Array, via: string }> = []
  member.onTx((_peer, bytes, via) => { txs.push({ bytes: Uint8Array.from(bytes), via }); return bytes[0] === 0xee ? 'reject' : 'accept' })
  const follower = new PublicNetwork({
    chainId: 'push',
    seed: generateKeyPair().seed,
    listen: ['/ip4/127.0.0.1/tcp/0'],
    bootstrap: [`${member.listenAddrs[0]!.split('/p2p/')[0]!}/p2p/${member.peerId}`],
    maxMessageBytes: 64 * 1024,
    members: new Set([member.peerId])
  })
  follower.onTx(() => 'ignore')
  follower.onFinalBatch((_peer, bytes, via) => { got.push({ bytes: Uint8Array.from(bytes), via }); return 'accept' })
  await follower.start()
  t.teardown(async () => follower.stop())
  return { member, follower, got, txs }
}

t.test('a member pushes each item to its subscribed followers, in order', async (t) => {
  const { member, follower, got } = await pair(t)
  await waitFor(() => member.pushSubscribers === 1, 10_000, 'the follower subscribed')
  t.same(follower.pushSources(), [member.peerId])
  for (let i = 0; i < 20; i++) member.pushFinal(new Uint8Array(1000).fill(i))
  await waitFor(() => got.length >= 20, 10_000, 'twenty items')
  t.same(got.map((g) => g.bytes[0]), [...Array(20).keys()], 'every item, in push order')
  t.ok(got.every((g) => g.via === 'push' && g.bytes.byteLength === 1000), 'marked as pushed, whole')
  t.equal(follower.counters.verdicts.push.accept, 20)
  t.equal(member.pushCounters?.sent, 20)
})

t.test('a follower leaves the final topic while enough members push to it, and rejoins when they stop', async (t) => {
  const { member, follower } = await pair(t)
  await waitFor(() => member.pushSubscribers === 1, 10_000, 'the follower subscribed')
  await waitFor(() => !follower.subscribedToFinal, 10_000, 'off the final topic (one member of one: f + 1 = 1)')
  t.pass('off the topic while fed by push')
  await member.stop()
  await waitFor(() => follower.subscribedToFinal, 10_000, 'back on the final topic')
  t.same(follower.pushSources(), [], 'no push source left')
})

t.test('an item above the message limit ends the stream', async (t) => {
  const { member, follower, got } = await pair(t)
  await waitFor(() => member.pushSubscribers === 1, 10_000, 'the follower subscribed')
  member.pushFinal(new Uint8Array(64 * 1024 + 1))
  await waitFor(() => member.pushSubscribers === 0, 10_000, 'the follower dropped the stream')
  t.equal(got.length, 0, 'nothing delivered')
  t.equal(follower.pushSources().length, 0, 'no push stream left (no other connection to carry it)')
})

t.test('a follower sends a member its share of txs on the direct stream', async (t) => {
  const { member, follower, txs } = await pair(t)
  await waitFor(() => follower.hasDirectTxs(member.peerId), 10_000, 'the direct stream open')
  for (let i = 0; i < 10; i++) t.ok(follower.sendTxsDirect(member.peerId, new Uint8Array(300).fill(i)), `bundle ${i} sent`)
  await waitFor(() => txs.length >= 10, 10_000, 'ten bundles at the member')
  t.same(txs.map((x) => x.bytes[0]), [...Array(10).keys()], 'in order')
  t.ok(txs.every((x) => x.via === 'direct'), 'marked direct')
  t.equal(member.counters.verdicts.direct.accept, 10, 'counted as direct, not as topic messages')
  t.equal(member.counters.verdicts.tx.accept, 0)
  t.notOk(follower.sendTxsDirect('12D3KooWNotConnected', new Uint8Array(3)), 'no stream to a peer: not sent (the caller uses the topic)')
  // four rejected bundles: each costs 34 of the ban threshold's 100
  for (let i = 0; i < 4; i++) follower.sendTxsDirect(member.peerId, new Uint8Array(10).fill(0xee))
  await waitFor(() => member.counters.bans === 1, 10_000, 'the member banned the follower')
  await waitFor(() => follower.connectedPeers().length === 0, 10_000, 'the connection closed')
  t.pass('rejected direct bundles are strikes')
})
