/**
 * The final-push stream (src/p2p/final-push.ts) between two public hosts on 127.0.0.1: a
 * node that lists a peer in `pushFrom` subscribes once connected, gets each pushed item on
 * its final validator marked `push`, in order; a frame above the size limit ends the stream.
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

async function pair (t: Test): Promise<{ member: PublicNetwork, follower: PublicNetwork, got: Array<{ bytes: Uint8Array, via: string }> }> {
  const member = new PublicNetwork({ chainId: 'push', seed: generateKeyPair().seed, listen: ['/ip4/127.0.0.1/tcp/0'], bootstrap: [], maxMessageBytes: 64 * 1024, servePush: true, subscribeFinal: false })
  member.onTx(() => 'ignore')
  member.onFinalBatch(() => 'ignore')
  await member.start()
  t.teardown(async () => member.stop())
  const got: Array<{ bytes: Uint8Array, via: string }> = []
  const follower = new PublicNetwork({
    chainId: 'push',
    seed: generateKeyPair().seed,
    listen: ['/ip4/127.0.0.1/tcp/0'],
    bootstrap: [`${member.listenAddrs[0]!.split('/p2p/')[0]!}/p2p/${member.peerId}`],
    maxMessageBytes: 64 * 1024,
    pushFrom: new Set([member.peerId])
  })
  follower.onTx(() => 'ignore')
  follower.onFinalBatch((_peer, bytes, via) => { got.push({ bytes: Uint8Array.from(bytes), via }); return 'accept' })
  await follower.start()
  t.teardown(async () => follower.stop())
  return { member, follower, got }
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

t.test('an item above the message limit ends the stream', async (t) => {
  const { member, follower, got } = await pair(t)
  await waitFor(() => member.pushSubscribers === 1, 10_000, 'the follower subscribed')
  member.pushFinal(new Uint8Array(64 * 1024 + 1))
  await waitFor(() => member.pushSubscribers === 0, 10_000, 'the follower dropped the stream')
  t.equal(got.length, 0, 'nothing delivered')
  t.equal(follower.pushSources().length, 0, 'no push stream left (no other connection to carry it)')
})
