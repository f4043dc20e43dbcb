/**
 * A 4-member committee end to end: four `seqnode start` processes over libp2p on
 * 127.0.0.1 run chained HotStuff. The test loads them through their public APIs, checks
 * that they agree byte for byte on a valid, finality-proven chain, SIGKILLs the current
 * leader under load (the survivors must recover through a view change and keep agreeing),
 * advances the chain 100+ heights without it, restarts it from its data folder (it must
 * catch up and agree) and finally checks that no acknowledged tx was lost or counted twice.
 */
import t from 'tap'
import { mkdir, readFile, readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { initHome } from '../../src/node/init-home.js'
import { parseGenesis } from '../../src/node/genesis.js'
import { ChainStore } from '../../src/store/index.js'
import {
  freePorts, getMetricsText, metricValue, patchJsonFile, startNodeProcess, tempDir, waitCommitted, type NodeProcess
} from '../helpers/node-process.js'
import { ChainChecker, getStatus, Ledger, sleep, TxSource, waitFor, type Member } from './chain-check.js'

const N = 4
const CHAIN_ID = 'committee-e2e'
/** txs of phase 2, round-robin over the four APIs */
const INITIAL_TXS = 200
/** txs the leader acknowledges right before it is killed (they may exist only in its WAL) */
const PRE_KILL_TXS = 24
/** heights the survivors add beyond the killed node's head before it restarts */
const CATCH_UP_GAP = 102
/**
 * First round timeout of every member (default 1 s). Leaders rotate round-robin, so with
 * one member down 2 rounds in 4 end in a timeout (its own round, and the one before, whose
 * votes go to it), the second one doubled: about 3 x this per 2 heights. With the default,
 * 100+ heights without the member would take minutes; 100 ms keeps them to seconds while
 * staying well above a loopback round (a few ms). A round that is slow on a busy runner only
 * ends in a timeout certificate, after which the next timeout doubles.
 */
const BASE_TIMEOUT_MS = 100
/** SEQ_E2E_LOG_DIR=/some/dir keeps debug logs of every node there */
const LOG_DIR = process.env.SEQ_E2E_LOG_DIR

interface Slot {
  index: number
  configFile: string
  dataDir: string
  node: NodeProcess | null
  starts: number
}

t.test('4-member committee: agreement, leader kill and recovery, restart and catch-up', async (t) => {
  const startedAt = performance.now()
  const elapsed = (): string => `${((performance.now() - startedAt) / 1000).toFixed(1)} s`

  // ---- setup: genesis, four node folders with distinct free p2p ports ----
  const root = await tempDir(t, 'seqnode-committee-')
  const home = join(root, 'home')
  const logDir = LOG_DIR ?? join(root, 'logs')
  await mkdir(logDir, { recursive: true })
  const p2pPorts = await freePorts(N)
  const init = await initHome({ dir: home, chainId: CHAIN_ID, nodes: N, rollups: ['token', 'kv'], basePort: 0, p2pPorts })
  const genesis = parseGenesis(JSON.parse(await readFile(init.genesisFile, 'utf8')))
  for (const n of init.nodes) await patchJsonFile(n.configFile, { consensus: { baseTimeoutMs: BASE_TIMEOUT_MS } })
  const slots: Slot[] = init.nodes.map((n, index) => ({ index, configFile: n.configFile, dataDir: join(n.dir, 'data'), node: null, starts: 0 }))
  const checker = new ChainChecker({ chainId: genesis.chainId, committeeKeys: genesis.committeeKeys })
  const ledger = new Ledger(new TxSource(genesis.chainId))

  const start = async (slot: Slot): Promise<NodeProcess> => {
    slot.starts++
    slot.node = await startNodeProcess(t, slot.configFile, {
      timeoutMs: 30_000,
      logLevel: LOG_DIR !== undefined ? 'debug' : 'info',
      logFile: join(logDir, `node-${slot.index}.${slot.starts}.log`)
    })
    return slot.node
  }
  /** Per node: round, rounds entered by QC / by TC, consensus messages refused, failed chunk fetches. */
  const consensusSummary = async (): Promise<string> => (await Promise.all(up().map(async (m) => {
    const text = await getMetricsText(m.url)
    const v = (name: string, labels: Record<string, string> = {}): number => metricValue(text, name, labels) ?? 0
    return `node-${m.index} r${v('seq_consensus_round')} qc${v('seq_consensus_rounds_total', { via: 'qc' })} tc${v('seq_consensus_rounds_total', { via: 'tc' })} refused${v('seq_consensus_rejected_total')} fetchfail${v('seq_chunk_fetches_total', { result: 'failed' })}`
  }))).join(', ')
  const up = (): Member[] => slots.filter((s) => s.node !== null).map((s) => ({ index: s.index, url: s.node!.url }))
  // On failure, the end of each node's log and stderr help tell why.
  t.teardown(async () => {
    if (t.passing() && LOG_DIR === undefined) return
    for (const file of (await readdir(logDir)).sort()) {
      const text = await readFile(join(logDir, file), 'utf8').catch(() => '')
      const lines = text.trimEnd().split('\n').filter((l) => /"level":(40|50|60)/.test(l)).slice(-15)
      if (lines.length > 0) console.error(`--- ${file}: last warnings and errors ---\n${lines.join('\n')}`)
    }
    for (const s of slots) if (s.node !== null && s.node.stderr().trim() !== '') console.error(`--- node-${s.index} stderr ---\n${s.node.stderr().slice(-2000)}`)
  })

  // ---- 1. four processes, each connected to the three others ----
  await Promise.all(slots.map(start))
  t.comment(`4 nodes listening after ${elapsed()}: ${up().map((m) => m.url).join(' ')}`)
  const peersSeen = await waitFor('every node to see 3 peers', 30_000, async () => {
    const statuses = await Promise.all(up().map(async (m) => await getStatus(m.url)))
    return statuses.every((s) => s.peers === N - 1) ? statuses : null
  })
  t.same(peersSeen.map((s) => s.peers), [3, 3, 3, 3], 'each node reports peers: 3')
  t.same(peersSeen.map((s) => s.nodeIndex), [0, 1, 2, 3], 'each API belongs to its own committee member')
  t.comment(`connected after ${elapsed()}`)
  const submitStarted = performance.now()

  // ---- 2. 200 signed txs round-robin over the four APIs ----
  const initial = await ledger.submit(up(), INITIAL_TXS, 16)
  t.comment(`${INITIAL_TXS} txs acknowledged in ${(performance.now() - submitStarted).toFixed(0)} ms`)
  t.equal(initial.length, INITIAL_TXS, `all ${INITIAL_TXS} submissions acknowledged (errors: ${JSON.stringify(ledger.errors.slice(0, 3))})`)
  t.same([0, 1, 2, 3].map((i) => initial.filter((h) => ledger.ackedBy.get(h) === i).length), [50, 50, 50, 50], 'each node acknowledged a quarter of them')

  // ---- 3. every tx committed on every node; identical, proven, valid chains ----
  const first = await checker.check(t, 'after the first load', up(), ledger.ackedBy.keys(), ledger.sent)
  t.comment(`phase 3 done after ${elapsed()}: height ${first.height}; ${await consensusSummary()}`)

  // ---- 4. SIGKILL the leader while the others keep taking txs ----
  const before = await Promise.all(up().map(async (m) => await getStatus(m.url)))
  const votes = new Map<number, number>()
  for (const s of before) votes.set(s.leader, (votes.get(s.leader) ?? 0) + 1)
  const leader = [...votes].sort((a, b) => b[1] - a[1])[0]![0]
  t.comment(`rounds ${before.map((s) => s.round).join('/')}, leaders ${before.map((s) => s.leader).join('/')}: killing node-${leader}`)
  const leaderSlot = slots[leader]!
  const survivorMembers = up().filter((m) => m.index !== leader)
  const tcRounds = async (members: Member[]): Promise<number> =>
    (await Promise.all(members.map(async (m) => metricValue(await getMetricsText(m.url), 'seq_consensus_rounds_total', { via: 'tc' }) ?? 0))).reduce((a, b) => a + b, 0)
  const tcBefore = await tcRounds(survivorMembers)

  // The leader acknowledges a burst right before it dies: these may be only in its WAL.
  const preKill = await ledger.submit([{ index: leader, url: leaderSlot.node!.url }], PRE_KILL_TXS, 8)
  t.equal(preKill.length, PRE_KILL_TXS, `the leader acknowledged ${PRE_KILL_TXS} txs right before the kill`)
  const atKill = await Promise.all(up().map(async (m) => await getStatus(m.url)))
  const heightAtKill = Math.max(...atKill.map((s) => s.height))
  // The first round it leads that nobody had reached at the kill (with a round to spare).
  const roundAtKill = Math.max(...atKill.map((s) => s.round)) + 2
  const deadRound = roundAtKill + ((leader - roundAtKill % N) + N) % N
  const killedAt = performance.now()
  const exit = await leaderSlot.node!.kill('SIGKILL')
  leaderSlot.node = null
  t.equal(exit.signal, 'SIGKILL', `node-${leader} (the leader) died of SIGKILL`)

  // Load on the survivors until one of their txs is final everywhere, the height moved on,
  // and they are past the next round the dead leader leads (no QC can end a round whose
  // leader never proposes: only a timeout certificate can).
  let nextHeightMs: number | null = null
  let firstTxMs: number | null = null
  let pastDeadRound = false
  const firstBurst = await ledger.submit(survivorMembers, 6, 6)
  const recovered = (): boolean => nextHeightMs !== null && firstTxMs !== null && pastDeadRound
  const watch = (async () => {
    while (!recovered() && performance.now() - killedAt < 20_000) {
      const statuses = await Promise.all(survivorMembers.map(async (m) => await getStatus(m.url)))
      if (nextHeightMs === null && Math.min(...statuses.map((s) => s.height)) > heightAtKill) nextHeightMs = performance.now() - killedAt
      if (Math.min(...statuses.map((s) => s.round)) > deadRound) pastDeadRound = true
      await sleep(10)
    }
  })()
  const firstTxWatch = (async () => {
    const results = await Promise.all(survivorMembers.map(async (m) => await waitCommitted(m.url, firstBurst, 20_000)))
    if (results.every((r) => r.missing.size === 0)) firstTxMs = performance.now() - killedAt
  })()
  let burstsDuringRecovery = 0
  const recoveryLoad = (async () => {
    while (!recovered() && performance.now() - killedAt < 20_000) {
      await ledger.submit(survivorMembers, 3, 3)
      burstsDuringRecovery++
      await sleep(50)
    }
  })()
  await Promise.all([watch, firstTxWatch, recoveryLoad])
  t.ok(nextHeightMs !== null, `the survivors finalised a height above ${heightAtKill} within 20 s of the kill`)
  t.ok(firstTxMs !== null, 'a burst submitted to the survivors right after the kill became final on all three within 20 s')
  t.ok(pastDeadRound, `the survivors got past round ${deadRound}, led by the dead node-${leader}, within 20 s`)
  t.comment(`leader kill -> next height final on all survivors: ${nextHeightMs === null ? 'never' : (nextHeightMs as number).toFixed(0)} ms; -> first post-kill txs final on all survivors: ${firstTxMs === null ? 'never' : (firstTxMs as number).toFixed(0)} ms (base timeout ${BASE_TIMEOUT_MS} ms, ${burstsDuringRecovery} bursts meanwhile)`)
  const tcAfter = await tcRounds(survivorMembers)
  t.ok(tcAfter > tcBefore, `the survivors entered rounds through timeout certificates (${tcBefore} -> ${tcAfter}): a view change happened`)

  const survivorAcked = [...ledger.ackedBy].filter(([, by]) => by !== leader).map(([hash]) => hash)
  const afterKill = await checker.check(t, 'survivors after the leader kill', survivorMembers, [...initial, ...survivorAcked], ledger.sent)
  t.comment(`phase 4 done after ${elapsed()}: height ${afterKill.height}; ${await consensusSummary()}`)

  // ---- 5. the survivors add 100+ heights; the killed node restarts and catches up ----
  const killedStore = await ChainStore.open(leaderSlot.dataDir, genesis.hash)
  const killedHead = killedStore.head()?.height ?? -1
  await killedStore.close()
  const target = killedHead + CATCH_UP_GAP
  const gapStartedAt = performance.now()
  let gapBursts = 0
  const minHeight = async (members: Member[]): Promise<number> => Math.min(...(await Promise.all(members.map(async (m) => (await getStatus(m.url)).height))))
  for (let height = await minHeight(survivorMembers); height < target; height = await minHeight(survivorMembers)) {
    if (performance.now() - gapStartedAt > 50_000) break
    // A small burst, then wait for the chain to move: a burst makes a block and its empty
    // child (2 heights), at a cost of 2 timed-out rounds per 4 while a member is down.
    await ledger.submit(survivorMembers, 3, 3)
    gapBursts++
    const heightNow = height
    await waitFor('a new height', 5000, async () => (await getStatus(survivorMembers[0]!.url)).height > heightNow ? true : null, 5).catch(() => {})
  }
  const gapHeight = await minHeight(survivorMembers)
  t.ok(gapHeight >= target, `the survivors reached height ${gapHeight}, ${gapHeight - killedHead} above node-${leader}'s head ${killedHead}, in ${((performance.now() - gapStartedAt) / 1000).toFixed(1)} s with ${gapBursts} bursts of 3 txs`)

  const restartAt = performance.now()
  const restarted = await start(leaderSlot)
  const listeningMs = performance.now() - restartAt
  // Keep the others busy while it catches up.
  let caughtUpMs: number | null = null
  const catchUpLoad = (async () => {
    while (caughtUpMs === null && performance.now() - restartAt < 30_000) {
      await ledger.submit(survivorMembers, 3, 3)
      await sleep(30)
    }
  })()
  // Caught up: at least the height the others had at the restart, and level with them now.
  const caughtUp = await waitFor(`node-${leader} to catch up`, 30_000, async () => {
    const [own, others] = await Promise.all([getStatus(restarted.url), minHeight(survivorMembers)])
    if (own.height >= gapHeight && own.height >= others) {
      caughtUpMs = performance.now() - restartAt
      return true
    }
    return null
  }, 20).catch((err: Error) => { t.comment(err.message); return false })
  await catchUpLoad
  t.ok(caughtUp, `node-${leader} caught up (reached height ${gapHeight} and the others' height) within 30 s of its restart`)
  const restartedMetrics = await getMetricsText(restarted.url)
  const synced = metricValue(restartedMetrics, 'seq_sync_batches_total') ?? 0
  const restartedHeight = (await getStatus(restarted.url)).height
  t.comment(`restart of node-${leader}: listening ${listeningMs.toFixed(0)} ms after the spawn; from height ${killedHead} level with the others (>= ${gapHeight}) ` +
    `${caughtUpMs === null ? 'never' : `${((caughtUpMs as number) - listeningMs).toFixed(0)} ms after listening (${(caughtUpMs as number).toFixed(0)} ms after the spawn)`}; ` +
    `${synced} batches applied through catch-up sync, ${Math.max(0, restartedHeight - killedHead - synced)} through consensus`)
  t.ok(synced > 0, `node-${leader} applied ${synced} final batches through catch-up sync (seq_sync_batches_total)`)

  // It is a full member again: it takes txs and sees its peers.
  await waitFor('every node to see 3 peers again', 20_000, async () => {
    const statuses = await Promise.all(up().map(async (m) => await getStatus(m.url)))
    return statuses.every((s) => s.peers === N - 1) ? true : null
  })
  await ledger.submit(up(), 40, 8)
  // ... and it votes again: with load going on, within 20 s (it may need a few rounds of
  // fetches and a sync to commit the heights the others' leader choice is based on).
  const restartedVotes = async (): Promise<number> => metricValue(await getMetricsText(restarted.url), 'seq_consensus_votes_sent_total') ?? 0
  const votingAt = performance.now()
  const voting = await waitFor(`node-${leader} to vote again`, 20_000, async () => {
    if (await restartedVotes() > 0) return true
    await ledger.submit(up(), 3, 3)
    return null
  }, 100).catch(() => false)
  t.ok(voting, `node-${leader} voted again ${((performance.now() - votingAt) / 1000).toFixed(1)} s after the post-restart load (${await restartedVotes()} votes)`)
  t.same(ledger.errors, [], 'no submission failed or was refused')
  const all = await checker.check(t, 'all four after the restart', up(), ledger.ackedBy.keys(), ledger.sent)
  t.same(preKill.filter((hash) => !all.locations.has(hash)), [], `the ${preKill.length} txs node-${leader} acknowledged right before its kill are all counted`)
  t.comment(`phase 5 done after ${elapsed()}: height ${all.height}, ${ledger.ackedBy.size} acknowledged txs; ${await consensusSummary()}`)

  // ---- 6. status and metrics ----
  for (const m of up()) {
    const s = await getStatus(m.url)
    t.ok(Number.isInteger(s.round) && s.round > 0 && Number.isInteger(s.leader) && s.leader >= 0 && s.leader < N && s.peers === N - 1,
      `node-${m.index} /v1/status: round ${s.round}, leader ${s.leader}, peers ${s.peers}`)
    const text = await getMetricsText(m.url)
    const value = (name: string): number => metricValue(text, name) ?? -1
    t.ok(value('seq_consensus_round') > 0, `node-${m.index} seq_consensus_round ${value('seq_consensus_round')}`)
    t.ok(value('seq_consensus_rounds_total') > 0, `node-${m.index} seq_consensus_rounds_total ${value('seq_consensus_rounds_total')}`)
    t.ok(value('seq_consensus_votes_sent_total') > 0, `node-${m.index} seq_consensus_votes_sent_total ${value('seq_consensus_votes_sent_total')}`)
    t.ok(Math.max(value('seq_chunk_fetches_total'), value('seq_chunks_received_total')) > 0,
      `node-${m.index} seq_chunk_fetches_total ${value('seq_chunk_fetches_total')}, seq_chunks_received_total ${value('seq_chunks_received_total')}`)
    t.ok(Math.max(value('seq_gossip_verdicts_total'), value('seq_p2p_messages_in_total')) > 0,
      `node-${m.index} seq_gossip_verdicts_total ${value('seq_gossip_verdicts_total')}, seq_p2p_messages_in_total ${value('seq_p2p_messages_in_total')}`)
  }
  for (const m of up()) t.comment(participation(m.index, await getMetricsText(m.url)))
  t.comment(`total ${elapsed()}`)
})

/**
 * How much a member took part (since its last start): votes, proposals, rounds entered, consensus
 * messages in per sender, fetches, and consensus messages it dropped for others by reason.
 * A restarted member that lags shows few votes against many rounds and many fetches.
 */
function participation (index: number, text: string): string {
  const v = (name: string, labels: Record<string, string> = {}): number => metricValue(text, name, labels) ?? 0
  const inFrom = Array.from({ length: N }, (_, i) => i).filter((i) => i !== index).map((i) => `${i}:${v('seq_p2p_messages_in_total', { kind: 'consensus', peer: String(i) })}`).join(' ')
  const dropped = ['queue_full', 'not_connected', 'stalled', 'expired'].map((reason) => `${reason} ${v('seq_p2p_dropped_total', { kind: 'consensus', reason })}`).join(', ')
  return `node-${index}: votes ${v('seq_consensus_votes_sent_total')}, proposals ${v('seq_consensus_proposals_total')}, ` +
    `rounds qc${v('seq_consensus_rounds_total', { via: 'qc' })}/tc${v('seq_consensus_rounds_total', { via: 'tc' })}, consensus in from ${inFrom}, ` +
    `fetches chunks ${v('seq_chunk_fetches_total', { result: 'requested' })} blocks ${v('seq_p2p_requests_total', { protocol: 'blocks' })}, consensus dropped: ${dropped}` +
    `; refused: ${refusals(text)}`
}

/** Consensus messages the member refused, by kind and code (`kind/CODE count`). */
function refusals (text: string): string {
  const found = [...text.matchAll(/^seq_consensus_rejected_total\{kind="([^"]+)",code="([^"]+)"\} (\d+)/gm)].map((m) => `${m[1]}/${m[2]} ${m[3]}`)
  return found.length === 0 ? 'none' : found.join(', ')
}
