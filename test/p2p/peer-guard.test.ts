/**
 * Peer scores, bans and rate limits: the PeerGuard rules on a stepped clock, then a rogue
 * member (a plain libp2p node holding a member's key) against a real transport: garbage
 * gets it banned and disconnected, its redials are refused while the ban lasts, it is let
 * back afterwards, and a flood of frames is cut at the rate limit.
 */
import t from 'tap'
import type { Stream } from '@libp2p/interface'
import { multiaddr } from '@multiformats/multiaddr'
import { generateKeyPair } from '../../src/crypto/index.js'
import {
  createCommitteeTransport, createMemoryP2PMetrics, defaultCommitteeTraffic, defaultPeerGuardOptions, frameLimitsFor, P2PErrorCode, type CommitteeTransportOptions, type MemoryP2PMetrics
} from '../../src/p2p/index.js'
import { encodeFrame } from '../../src/p2p/framing.js'
import { PeerGuard, type PeerGuardOptions } from '../../src/p2p/peer-guard.js'
import { CHAIN_ID, memberOptions, plainNode, sleep, waitFor } from './helpers.js'

const MEMBER = 'member-peer'
const OUTSIDER = 'outsider-peer'

function guardOn (opts: Partial<PeerGuardOptions> = {}): { guard: PeerGuard, clock: { now: number }, bans: Array<[string, number]>, metrics: MemoryP2PMetrics } {
  const clock = { now: 0 }
  const bans: Array<[string, number]> = []
  const metrics = createMemoryP2PMetrics()
  const guard = new PeerGuard({
    memberIndex: (peerId) => peerId === MEMBER ? 3 : undefined,
    onBan: (peerId, ms) => { bans.push([peerId, ms]) },
    metrics,
    now: () => clock.now
  }, { ...defaultPeerGuardOptions, ...opts })
  return { guard, clock, bans, metrics }
}

t.test('rejects cost their penalty, scores decay, and the threshold bans', async (t) => {
  const { guard, clock, bans, metrics } = guardOn()
  t.equal(guard.reject(MEMBER, P2PErrorCode.MALFORMED), false, 'one malformed frame does not ban')
  t.equal(guard.standings()[0]!.score, -20, 'MALFORMED costs 20')
  clock.now += defaultPeerGuardOptions.scoreHalfLifeMs
  t.equal(guard.standings()[0]!.score, -10, 'the penalty halves after a half-life')
  t.equal(guard.reject(MEMBER, 'CONSENSUS_BAD_SIGNATURE', 25), false)
  t.equal(guard.reject(MEMBER, 'CONSENSUS_BAD_SIGNATURE', 25), false)
  t.equal(guard.reject(MEMBER, 'CONSENSUS_BAD_SIGNATURE', 25), false, 'at -85 still in')
  t.equal(guard.reject(MEMBER, 'CONSENSUS_BAD_SIGNATURE', 25), true, 'at -110 banned')
  t.same(bans, [[MEMBER, 5000]], 'a member\'s first ban lasts memberBanMs')
  t.ok(guard.isBanned(MEMBER))
  t.equal(metrics.rejected.get({ peer: '3' }), 5, 'every reject is counted under the member\'s index')
  t.equal(metrics.rejected.get({ reason: 'CONSENSUS_BAD_SIGNATURE', peer: '3' }), 4)
  t.equal(metrics.bans.get({ peer: '3' }), 1)
  clock.now += 5000
  t.notOk(guard.isBanned(MEMBER), 'the ban ends')
  t.equal(guard.standings()[0]!.score, 0, 'with a clean score')
  for (let i = 0; i < 5; i++) guard.reject(MEMBER, P2PErrorCode.TOO_LARGE)
  t.same(bans[1], [MEMBER, 10_000], 'the second ban doubles')
  for (let round = 0; round < 6; round++) {
    clock.now += 120_000
    guard.reject(MEMBER, P2PErrorCode.TOO_LARGE)
    guard.reject(MEMBER, P2PErrorCode.TOO_LARGE)
  }
  t.equal(bans.at(-1)![1], defaultPeerGuardOptions.maxMemberBanMs, 'member bans stop growing at maxMemberBanMs')
  clock.now += defaultPeerGuardOptions.forgiveMs + 1
  guard.reject(MEMBER, P2PErrorCode.TOO_LARGE)
  guard.reject(MEMBER, P2PErrorCode.TOO_LARGE)
  t.same(bans.at(-1), [MEMBER, 5000], 'strikes are forgiven after forgiveMs without a ban')

  for (let i = 0; i < 4; i++) guard.reject(OUTSIDER, P2PErrorCode.NOT_MEMBER)
  t.same(bans.at(-1), [OUTSIDER, defaultPeerGuardOptions.outsiderBanMs], 'four connection attempts by an outsider: the long ban')
  t.equal(metrics.rejected.get({ reason: P2PErrorCode.NOT_MEMBER, peer: 'other' }), 4, 'outsiders share the "other" label')
})

t.test('frame limits derive from the rounds the committee may run: fast honest rounds are never limited', async (t) => {
  const limits = frameLimitsFor(defaultCommitteeTraffic)
  t.same(limits.framesPerSecond, { consensus: 8000, chunk: 4000, request: 2000 }, '500 rounds/s x frames per round x 4')
  t.same(defaultPeerGuardOptions.framesPerSecond, limits.framesPerSecond, 'the defaults are the derived limits')
  t.equal(frameLimitsFor({ ...defaultCommitteeTraffic, maxRoundsPerSecond: 2000, chunksPerRound: 8 }).framesPerSecond.chunk, 2000 * 8 * 4, 'more rollups (lanes) and faster rounds raise the chunk limit')
  // an honest member at 400 rounds/s: 3 consensus messages and 2 chunks per round, for 10 s
  const { guard, clock, metrics } = guardOn()
  let refused = 0
  for (let ms = 0; ms < 10_000; ms++) {
    clock.now = ms
    const frames = ms % 5 < 2 ? 1 : 0 // 400 rounds/s: 2 of every 5 ms carry one round's frames
    for (let f = 0; f < frames; f++) {
      for (let m = 0; m < 3; m++) if (!guard.admitFrame(MEMBER, 'consensus', 300)) refused++
      for (let c = 0; c < 2; c++) if (!guard.admitFrame(MEMBER, 'chunk', 20_000)) refused++
    }
  }
  t.equal(refused, 0, 'nothing refused')
  t.equal(metrics.bans.get(), 0, 'no ban')
})

t.test('rate limits drop the excess, cost a little, and refill', async (t) => {
  const { guard, clock, metrics } = guardOn({ framesPerSecond: { consensus: 100, chunk: 100, request: 100 }, frameBurst: { consensus: 10, chunk: 10, request: 10 }, bytesPerSecond: 1000, byteBurst: 1000 })
  let admitted = 0
  for (let i = 0; i < 30; i++) if (guard.admitFrame(MEMBER, 'consensus', 1)) admitted++
  t.equal(admitted, 10, 'the burst passes, the rest is dropped')
  t.equal(metrics.rejected.get({ reason: P2PErrorCode.RATE_LIMITED }), 20)
  t.equal(guard.standings()[0]!.score, -20, 'each dropped frame costs 1')
  t.ok(guard.admitFrame(MEMBER, 'chunk', 1), 'each frame kind has its own budget')
  clock.now += 50
  admitted = 0
  for (let i = 0; i < 10; i++) if (guard.admitFrame(MEMBER, 'consensus', 1)) admitted++
  t.equal(admitted, 5, '100 frames/s refill 5 in 50 ms')
  t.notOk(guard.admitFrame(MEMBER, 'request', 2000), 'a frame above the byte budget is dropped')
  for (let i = 0; i < 200; i++) guard.admitFrame(MEMBER, 'consensus', 1)
  t.ok(guard.isBanned(MEMBER), 'a sustained flood ends in a ban')
  const dropped = metrics.rejected.get({ reason: P2PErrorCode.BANNED })
  t.ok(dropped > 0, `frames of a banned peer are dropped as P2P_BANNED (${dropped})`)
})

t.test('the record table is bounded and keeps members', async (t) => {
  const { guard } = guardOn({ maxTrackedPeers: 3 })
  guard.reject(MEMBER, P2PErrorCode.MALFORMED)
  for (let i = 0; i < 10; i++) guard.reject(`sybil-${i}`, P2PErrorCode.NOT_MEMBER)
  const peers = guard.standings().map((s) => s.peerId)
  t.equal(peers.length, 3)
  t.ok(peers.includes(MEMBER), 'the member survived the eviction of outsiders')
})

t.test('a rogue member is banned, disconnected, kept out while banned, and let back', async (t) => {
  const keys = [generateKeyPair(), generateKeyPair(), generateKeyPair()]
  const options = (index: number, peerGuard: Partial<PeerGuardOptions> = {}): CommitteeTransportOptions & { metrics: MemoryP2PMetrics } =>
    memberOptions(keys, index, { maxMessageBytes: 64 * 1024, peerGuard })
  const opts0 = options(0, { memberBanMs: 1500, framesPerSecond: { consensus: 200, chunk: 200, request: 200 }, frameBurst: { consensus: 50, chunk: 50, request: 50 } })
  const victim = await createCommitteeTransport(opts0)
  t.teardown(async () => victim.stop())
  await victim.start()
  let delivered = 0
  victim.onMessage(() => { delivered++ })
  const rogue = await plainNode(keys[2]!.seed)
  t.teardown(async () => rogue.stop())
  const target = multiaddr(victim.listenAddrs[0]!)
  const consensus = `/seq/${CHAIN_ID}/consensus/1`
  const send = (stream: Stream, data: Uint8Array): void => { if (stream.status === 'open') stream.send(data) }

  // 1. garbage: three oversized frames cost 150 -> banned, connection closed
  for (let i = 0; i < 3; i++) {
    const stream = await rogue.dialProtocol(target, consensus)
    send(stream, Uint8Array.of(0x80, 0x80, 0x80, 0x05)) // declares a 10 MiB frame
    await waitFor(() => stream.status !== 'open', 2000, 'stream reset')
  }
  await waitFor(() => opts0.metrics.bans.get({ peer: '2' }) === 1, 2000, 'the ban')
  t.equal(opts0.metrics.rejected.get({ reason: P2PErrorCode.TOO_LARGE, peer: '2' }), 3, 'the oversized frames are counted for member 2')
  await waitFor(() => rogue.getConnections().length === 0, 2000, 'the rogue disconnected')
  t.pass('the banned member\'s connection was closed')
  const standing = victim.peerStandings().find((s) => s.member === 2)
  t.ok(standing !== undefined && standing.bannedForMs > 0, `peerStandings shows the ban (${standing?.bannedForMs.toFixed(0)} ms left)`)

  // 2. while banned, its dials are refused at the connection gater
  await t.rejects(rogue.dialProtocol(target, consensus), 'a redial during the ban fails')
  t.ok(opts0.metrics.refused.get({ kind: 'connection', reason: P2PErrorCode.BANNED }) >= 1, 'counted as refused: P2P_BANNED')

  // 3. after the ban it is a member again: a well-formed frame is delivered
  await sleep(1600)
  const again = await rogue.dialProtocol(target, consensus)
  send(again, encodeFrame(Uint8Array.of(1, 2, 3)))
  await waitFor(() => delivered === 1, 2000, 'the frame after the ban')
  t.pass('after the ban its frames are delivered again')

  // 4. a flood: 5,000 small frames as fast as the stream takes them
  const flood = new Uint8Array(5000 * 2)
  for (let i = 0; i < 5000; i++) flood.set(encodeFrame(Uint8Array.of(i & 0xff)), i * 2)
  send(again, flood)
  await waitFor(() => opts0.metrics.bans.get({ peer: '2' }) === 2, 5000, 'the second ban')
  t.ok(delivered <= 1 + 50 + 10, `only the burst got through (${delivered - 1} of 5000 delivered)`)
  t.ok(opts0.metrics.rejected.get({ reason: P2PErrorCode.RATE_LIMITED, peer: '2' }) >= 100, `the excess was dropped as P2P_RATE_LIMITED (${opts0.metrics.rejected.get({ reason: P2PErrorCode.RATE_LIMITED })})`)
  t.equal(victim.peerStandings().find((s) => s.member === 2)!.bannedForMs > 1500, true, 'the second ban is longer than the first')
})
