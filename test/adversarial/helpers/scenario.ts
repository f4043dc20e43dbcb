/**
 * The adversarial run shared by the test and `measure.ts`: a calm phase under steady load,
 * then the Byzantine member's bad messages (each aimed at one honest member, so no single
 * member's score reaches the ban before every reason is seen), an outsider, and a flood;
 * then a recovery phase. Returns what each member counted and the latency samples.
 */
import { Adversary } from './adversary.js'
import { BYZANTINE, heightOf, LatencyProbe, median, metricOf, startByzantineCommittee, type ByzantineCommittee, type HonestMember } from './committee.js'
import { ByzantineMessages, garbageFrame, OVERLONG_VARINT, oversizedPrefix } from './messages.js'
import { getStatus, sleep, waitFor } from '../../e2e/chain-check.js'

const N = 4
const CONSENSUS = 'consensus/1'
const CHUNKS = 'chunks/1'

export interface ScenarioOptions {
  calmMs: number
  floodMs: number
  recoveryMs: number
  log: (line: string) => void
}

/** One bad input: whom it went to and the reason its counter should show. */
export interface AttackResult {
  what: string
  victim: number
  reason: string
  before: number
  after: number
}

export interface ScenarioResult {
  committee: ByzantineCommittee
  attacks: AttackResult[]
  /** rejects counted for member 3 by each victim, by the stale (ignored) inputs: should stay equal */
  ignored: { what: string, before: number, after: number }
  scoresAfterAttacks: number[]
  outsider: { refusedDials: number, notMember: number[], bans: number[] }
  flood: { framesSent: number, rateLimited: number[], bans: number[], bannedAfter: number[] }
  heights: { calmStart: number, attackStart: number, attackEnd: number, end: number }
  latency: { calm: number[], attack: number[], recovery: number[], failures: string[], retried: string[] }
  alive: boolean[]
}

const rejected = async (m: HonestMember, reason: string): Promise<number> => await metricOf(m, 'seq_p2p_rejected_total', { reason, peer: String(BYZANTINE) })

export async function runScenario (t: { teardown (fn: () => unknown): void }, opts: ScenarioOptions): Promise<ScenarioResult> {
  const committee = await startByzantineCommittee(t, { chainId: 'adversarial-1', baseTimeoutMs: 100 })
  const { honest, chainId } = committee
  await waitFor('the three honest members to connect', 30_000, async () => {
    const statuses = await Promise.all(honest.map(async (m) => await getStatus(m.url)))
    return statuses.every((s) => s.peers >= 2) ? true : null
  })
  const probe = new LatencyProbe(chainId, honest)
  const minHeight = async (): Promise<number> => Math.min(...await Promise.all(honest.map(heightOf)))

  // ---- calm ----
  probe.start()
  await sleep(1000) // warm-up, not measured
  await probe.stop()
  const calmStart = await minHeight()
  probe.start()
  await sleep(opts.calmMs)
  const calm = await probe.stop()
  opts.log(`calm: ${calm.length} txs, median ${median(calm).toFixed(0)} ms`)

  // ---- targeted bad inputs from the Byzantine member 3 ----
  const attackStart = await minHeight()
  probe.start()
  const adversary = await Adversary.create(chainId, committee.byzantineSeed)
  t.teardown(async () => await adversary.stop())
  const msgs = new ByzantineMessages(chainId, BYZANTINE, committee.byzantineSeed)
  const round = Math.max(...(await Promise.all(honest.map(async (m) => await getStatus(m.url)))).map((s) => s.round))
  /** the first round >= the current one that satisfies `pred` (a little ahead: still current when the message lands) */
  const roundWhere = (pred: (r: number) => boolean): number => { let r = round + 1; while (!pred(r)) r++; return r }
  const [a, b, c] = honest as [HonestMember, HonestMember, HonestMember]
  const attacks: AttackResult[] = []
  const attack = async (what: string, victim: HonestMember, reason: string, protocol: string, data: Uint8Array): Promise<void> => {
    const before = await rejected(victim, reason)
    await adversary.send(victim, protocol, data)
    let after = before
    await waitFor(`${what}: ${reason} counted`, 5000, async () => { after = await rejected(victim, reason); return after > before ? true : null }, 20).catch(() => {})
    attacks.push({ what, victim: victim.index, reason, before, after })
    opts.log(`${what} -> node-${victim.index}: ${reason} ${before} -> ${after}`)
  }

  // Stale inputs first: an old-round vote and timeout are ignored, not penalised (an honest
  // member that lags sends exactly these).
  const ignoredBefore = await metricOf(c, 'seq_p2p_rejected_total', { peer: String(BYZANTINE) })
  await adversary.send(c, CONSENSUS, msgs.vote(0, 1))
  await adversary.send(c, CONSENSUS, msgs.timeout(1))
  // A signed vote for a batch nobody proposed, to the right leader: tallied, never a quorum.
  const unknownRound = roundWhere((r) => (r + 1) % N === c.index)
  await adversary.send(c, CONSENSUS, msgs.vote(0, unknownRound))
  // A vote to a member that does not lead the next round by its committed chain: leaders come
  // from the committed chain, and an honest voter a few commits behind can pick another one.
  await adversary.send(c, CONSENSUS, msgs.vote(0, roundWhere((r) => (r + 1) % N !== c.index)))
  await sleep(300)
  const ignored = { what: 'old-round vote, old-round timeout, vote for an unknown batch, vote to a non-leader', before: ignoredBefore, after: await metricOf(c, 'seq_p2p_rejected_total', { peer: String(BYZANTINE) }) }
  opts.log(`${ignored.what} -> node-${c.index}: rejects for member 3 ${ignored.before} -> ${ignored.after}`)

  await attack('oversized frame (declares 64 MiB)', a, 'P2P_TOO_LARGE', CONSENSUS, oversizedPrefix(64 * 1024 * 1024))
  await attack('chunk with a bad signature', a, 'P2P_CHUNK_INVALID', CHUNKS, msgs.chunkWithBadSignature(1))
  await attack('bytes that are no frame (overlong length varint)', b, 'P2P_MALFORMED', CONSENSUS, OVERLONG_VARINT)
  await attack('frame of random bytes (no consensus envelope)', b, 'CONSENSUS_MALFORMED', CONSENSUS, garbageFrame(200))
  await attack('signed proposal naming another member as its proposer', b, 'CONSENSUS_NOT_LEADER', CONSENSUS, msgs.proposal(round + 1, a.index))
  // A round still ahead when the vote lands (the attacks above took rounds), later than the
  // unknown-batch vote's (a second vote of ours in that round would be an equivocation). The
  // leader of the next round comes from each member's committed chain (leader-election.ts),
  // so the vote goes to all three: whichever leads the next round checks its signature.
  const roundNow = Math.max(...(await Promise.all(honest.map(async (m) => (await getStatus(m.url)).round))))
  const badVote = msgs.vote(0, Math.max(roundNow + 4, unknownRound + 1), { badSignature: true })
  const countBad = async (): Promise<number[]> => await Promise.all(honest.map(async (m) => await rejected(m, 'CONSENSUS_BAD_SIGNATURE')))
  const badBefore = await countBad()
  for (const m of honest) await adversary.send(m, CONSENSUS, badVote)
  let badAfter = badBefore
  await waitFor('a bad-signature vote counted', 5000, async () => { badAfter = await countBad(); return badAfter.some((v, i) => v > badBefore[i]!) ? true : null }, 20).catch(() => {})
  const badVictim = Math.max(0, badAfter.findIndex((v, i) => v > badBefore[i]!))
  attacks.push({ what: 'vote with a bad signature (to every member)', victim: honest[badVictim]!.index, reason: 'CONSENSUS_BAD_SIGNATURE', before: badBefore[badVictim]!, after: badAfter[badVictim]! })
  opts.log(`vote with a bad signature -> nodes 0-2: CONSENSUS_BAD_SIGNATURE ${badBefore.join('/')} -> ${badAfter.join('/')}`)
  await attack('timeout whose high QC is not below its round', c, 'CONSENSUS_TIMEOUT_QC_NOT_BELOW_ROUND', CONSENSUS, msgs.timeout(0))
  const scoresAfterAttacks = await Promise.all(honest.map(async (m) => await metricOf(m, 'seq_p2p_peer_score', { peer: String(BYZANTINE) })))
  opts.log(`member 3's score on nodes 0-2 after the targeted inputs: ${scoresAfterAttacks.map((s) => s.toFixed(1)).join(' / ')}`)

  // ---- an outsider: its own key, dials every member five times ----
  const outsider = await Adversary.create(chainId)
  t.teardown(async () => await outsider.stop())
  let refusedDials = 0
  for (let i = 0; i < 5; i++) for (const m of honest) if (!(await outsider.dial(m)) || !(await outsider.send(m, CONSENSUS, garbageFrame(10)))) refusedDials++
  const notMember = await Promise.all(honest.map(async (m) => await metricOf(m, 'seq_p2p_rejected_total', { reason: 'P2P_NOT_MEMBER', peer: 'other' })))
  const outsiderBans = await Promise.all(honest.map(async (m) => await metricOf(m, 'seq_p2p_peer_bans_total', { peer: 'other' })))
  opts.log(`outsider: ${refusedDials}/15 dials refused; P2P_NOT_MEMBER ${notMember.join('/')}, bans ${outsiderBans.join('/')}`)

  // ---- the flood: member 3 writes bad-signature votes to every member as fast as they read ----
  const batch = concat(Array.from({ length: 2000 }, () => msgs.vote(0, round, { badSignature: true })))
  let framesSent = 0
  const floodUntil = performance.now() + opts.floodMs
  await Promise.all(honest.map(async (m) => {
    while (performance.now() < floodUntil) {
      if (await adversary.send(m, CONSENSUS, batch)) framesSent += 2000
      else await sleep(20) // refused (banned): try again, as a flooder would
      await adversary.drained(m, CONSENSUS)
    }
  }))
  const rateLimited = await Promise.all(honest.map(async (m) => await rejected(m, 'P2P_RATE_LIMITED')))
  const bans = await Promise.all(honest.map(async (m) => await metricOf(m, 'seq_p2p_peer_bans_total', { peer: String(BYZANTINE) })))
  const bannedAfter = await Promise.all(honest.map(async (m) => await metricOf(m, 'seq_p2p_peers_banned', { peer: String(BYZANTINE) })))
  opts.log(`flood ${opts.floodMs} ms: ${framesSent} frames written; P2P_RATE_LIMITED ${rateLimited.join('/')}, bans of member 3 ${bans.join('/')}, banned now ${bannedAfter.join('/')}`)
  await adversary.stop()
  const underAttack = await probe.stop()
  const attackEnd = await minHeight()
  opts.log(`attack: ${underAttack.length} txs, median ${median(underAttack).toFixed(0)} ms; heights ${attackStart} -> ${attackEnd}`)

  // ---- recovery ----
  probe.start()
  await sleep(opts.recoveryMs)
  const recovery = await probe.stop()
  const end = await minHeight()
  opts.log(`recovery: ${recovery.length} txs, median ${median(recovery).toFixed(0)} ms; height ${end}`)

  return {
    committee,
    attacks,
    ignored,
    scoresAfterAttacks,
    outsider: { refusedDials, notMember, bans: outsiderBans },
    flood: { framesSent, rateLimited, bans, bannedAfter },
    heights: { calmStart, attackStart, attackEnd, end },
    latency: { calm, attack: underAttack, recovery, failures: probe.failures, retried: probe.retried },
    alive: honest.map((m) => m.node.child.exitCode === null && m.node.child.signalCode === null)
  }
}

function concat (parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0))
  let offset = 0
  for (const p of parts) { out.set(p, offset); offset += p.byteLength }
  return out
}
