/**
 * One chaos campaign: a real committee (one process per member on 127.0.0.1) under the
 * devnet's open-loop load through the public API, while the seeded schedule (schedule.ts)
 * kills, freezes and wipes members, at most f at a time except the short quorum-loss
 * faults. Each fault is healed and its member caught up before the next calm gap. At the
 * end everything is healed, the load stops, acknowledged txs drain, and check.ts judges
 * what the members' APIs serve. Times in the log are offsets from the campaign start.
 */
import { mkdir, readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { LoadGenerator } from '../devnet/load.js'
import { SliceWatcher } from '../devnet/slice-watcher.js'
import { toyPayloads } from '../devnet/toy-payloads.js'
import { SequencerClient, type NodeStatus } from '../src/client/index.js'
import { sleep } from '../src/util/index.js'
import { checkObservation, ViolationKind, type CheckResult, type Violation } from './check.js'
import { ChaosCluster } from './cluster.js'
import { scrapeCounter } from './scrape.js'
import { HeadMonitor, type Stall } from './monitor.js'
import { observeCommittee } from './observe.js'
import { describeFault, maxFaulty, planFaults, type FaultKind, type PlannedFault } from './schedule.js'

export interface CampaignOptions {
  durationS: number
  seed: number
  nodes: number
  loadTps: number
  outDir: string
  logLevel: string
  /** members' first round timeout (node default: 1000 ms) */
  baseTimeoutMs?: number
  /** only these fault kinds (default all) */
  kinds?: readonly FaultKind[]
  /** run every planned fault even when a slow machine overruns the duration (tests that must see each kind) */
  completePlan?: boolean
  /** keep the members' data folders after a passing run */
  keepData: boolean
  /** each log line as it is made (the runner prints them) */
  onLine: (line: string) => void
}

export interface FaultRecord {
  seq: number
  kind: FaultKind
  /** members hit (leaders resolved) */
  targets: number[]
  /** offsets from the campaign start, seconds */
  injectedAtS: number
  healedAtS: number | null
  /** every member answered at or above the head of the heal time, and the head moved on */
  recoveredAtS: number | null
  /** seconds the restarted member(s) took from spawn to listening (kills and wipes) */
  startS: number | null
  /** for the faults injected through dev control or the environment: what showed it took hold (null: nothing did) */
  effect?: string | null
}

export interface CampaignResult {
  seed: number
  durationS: number
  nodes: number
  loadTps: number
  replay: string
  passed: boolean
  elapsedS: number
  schedule: PlannedFault[]
  faults: FaultRecord[]
  faultsByKind: Record<string, number>
  txs: {
    submitted: number
    acknowledged: number
    committed: number
    lost: number
    committedUnacknowledged: number
    rejected: Record<string, number>
    /** submissions that got no reply (member down) */
    failed: number
  }
  longestStall: Stall | null
  /** the longest one outside quorum-loss faults (from injection to recovery): at most f members faulty */
  longestStallWithinF: Stall | null
  latencyMs: { p50: number | null, p99: number | null, max: number | null }
  finalHeight: number
  violations: Violation[]
  log: string[]
}

const RECOVERY_TIMEOUT_MS = 60_000
const DRAIN_TIMEOUT_MS = 60_000
/** How long acknowledged txs may take to become final before a member is wiped. */
const PRE_WIPE_TIMEOUT_MS = 30_000
/** one-way partition: frames in flight when the mute begins may still arrive within this */
const MUTE_SETTLE_MS = 500
/** fsync-stop: how long each store write waits while the fault is armed; the SIGSTOP lands inside it */
const FSYNC_PARK_MS = 1000

const HEALED: Record<FaultKind, string> = {
  'kill-leader': 'restarted',
  'kill-random': 'restarted',
  freeze: 'resumed (SIGCONT)',
  'freeze-leader': 'resumed (SIGCONT)',
  wipe: 'restarted',
  'quorum-loss': 'restarted',
  'one-way-partition': 'talk both ways again',
  'fsync-stop': 'resumed (SIGCONT), writes no longer parked',
  'clock-skew': 'restarted with the true time',
  'disk-fault': 'writes go through again'
}

export function replayCommand (o: Pick<CampaignOptions, 'durationS' | 'seed' | 'nodes' | 'loadTps'> & { baseTimeoutMs?: number | undefined, kinds?: readonly FaultKind[] | undefined, completePlan?: boolean | undefined }): string {
  return `npm run chaos -- --duration ${o.durationS} --seed ${o.seed} --nodes ${o.nodes} --load ${o.loadTps}${o.baseTimeoutMs === undefined ? '' : ` --base-timeout ${o.baseTimeoutMs}`}` +
    `${o.kinds === undefined ? '' : ` --faults ${o.kinds.join(',')}`}${o.completePlan === true ? ' --complete-plan' : ''}`
}

export async function runCampaign (opts: CampaignOptions): Promise<CampaignResult> {
  const t0 = performance.now()
  const offsetS = (): number => Math.round((performance.now() - t0) / 100) / 10
  const log: string[] = []
  const say = (msg: string): void => {
    const line = `[+${offsetS().toFixed(1).padStart(6)} s] ${msg}`
    log.push(line)
    opts.onLine(line)
  }
  const violations: Violation[] = []
  const liveness = (detail: string): void => { violations.push({ kind: ViolationKind.liveness, detail }); say(`VIOLATION liveness: ${detail}`) }

  const home = join(opts.outDir, 'home')
  const logDir = join(opts.outDir, 'logs')
  await rm(home, { recursive: true, force: true })
  await rm(logDir, { recursive: true, force: true })
  await mkdir(logDir, { recursive: true })
  const schedule = planFaults({ seed: opts.seed, durationMs: opts.durationS * 1000, nodes: opts.nodes, baseTimeoutMs: opts.baseTimeoutMs ?? 1000, ...(opts.kinds !== undefined ? { kinds: opts.kinds } : {}) })
  say(`seed ${opts.seed}, ${opts.durationS} s, ${opts.nodes} members (f = ${maxFaulty(opts.nodes)}), load ${opts.loadTps} tx/s; schedule of ${schedule.length} faults:`)
  for (const f of schedule) say(`  plan ${describeFault(f)}`)

  const cluster = await ChaosCluster.create({ dir: home, logDir, nodes: opts.nodes, chainId: `chaos-${opts.seed}`, logLevel: opts.logLevel, ...(opts.baseTimeoutMs !== undefined ? { baseTimeoutMs: opts.baseTimeoutMs } : {}) })
  const genesis = JSON.parse(await readFile(cluster.genesisFile, 'utf8')) as unknown
  const all = (): number[] => cluster.members.map((m) => m.index)
  const monitor = new HeadMonitor(() => cluster.responsive().map((i) => ({ index: i, url: cluster.url(i) })), t0)
  let watcher: SliceWatcher | null = null
  let load: LoadGenerator | null = null
  let mirror: NodeJS.Timeout | null = null
  const faults: FaultRecord[] = []
  try {
    say(`members listening: ${all().map((i) => `node-${i} ${cluster.url(i)}`).join(', ')}`)
    monitor.start()
    const peersOk = await until(30_000, async () => {
      const s = await Promise.all(all().map(async (i) => await monitor.status(i, cluster.url(i))))
      return s.every((x) => x !== null && x.peers >= opts.nodes - 1)
    })
    if (!peersOk) say('not every member sees all the others after 30 s; starting anyway')
    const first = (await monitor.status(0, cluster.url(0)))!

    // Load: the devnet's generator over an address list this runner edits in place (a
    // wiped member gets nothing from just before its wipe until it is back), and its
    // slice watcher, which forgets a tx once it sees it final.
    const urls = all().map((i) => cluster.url(i))
    const payloads = await toyPayloads(home, urls[0]!, first.chainId, first.rollups)
    const route = (exclude: number[]): void => {
      const keep = all().filter((i) => !exclude.includes(i)).map((i) => cluster.url(i))
      urls.splice(0, urls.length, ...keep)
      for (const p of payloads.values()) if (p.pinnedUrl !== undefined && !keep.includes(p.pinnedUrl)) p.pinnedUrl = keep[0]!
    }
    load = new LoadGenerator(urls, first.chainId, first.rollups.map((r) => r.id), payloads)
    const acked = load.pending
    /** acknowledged and not yet seen final: the watcher deletes what it sees */
    const unsettled = new Map<string, number>()
    let mirrored = 0
    const mirrorAcks = (): void => {
      let i = 0
      for (const [hash, at] of acked) if (i++ >= mirrored) unsettled.set(hash, at)
      mirrored = acked.size
    }
    mirror = setInterval(mirrorAcks, 50)
    watcher = new SliceWatcher(unsettled, () => cluster.responsive().map((i) => cluster.url(i)))
    for (const r of first.rollups) watcher.follow(r.id, first.height + 1)
    /** Waits until every tx acknowledged before `before` is final (asking a member about stragglers the watcher missed). */
    const settle = async (before: number, timeoutMs: number): Promise<number> => {
      const waiting = (): string[] => { mirrorAcks(); return [...unsettled].filter(([, at]) => at <= before).map(([h]) => h) }
      let lastAsk = performance.now()
      await until(timeoutMs, async () => {
        if (waiting().length === 0) return true
        if (performance.now() - lastAsk > 2000) {
          lastAsk = performance.now()
          await forgetCommitted(cluster, waiting(), unsettled)
        }
        return waiting().length === 0
      }, 100)
      return waiting().length
    }

    load.start(opts.loadTps)
    monitor.startMeasuring()
    const loadStartedAt = performance.now()
    say(`load started at ${opts.loadTps} tx/s; head ${monitor.head}`)

    const currentLeader = async (): Promise<{ index: number, round: number }> => {
      const statuses = (await Promise.all(cluster.responsive().map(async (i) => await monitor.status(i, cluster.url(i))))).filter((s): s is NodeStatus => s !== null)
      const votes = new Map<number, number>()
      for (const s of statuses) votes.set(s.leader, (votes.get(s.leader) ?? 0) + 1)
      const top = [...votes].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0]
      const round = Math.max(0, ...statuses.map((s) => s.round))
      return { index: top?.[0] ?? 0, round }
    }
    /** listening times of the members restarted by the current fault */
    let startTimes: number[] = []
    const restart = async (i: number, env?: Record<string, string>): Promise<boolean> => {
      for (let attempt = 1; attempt <= 3; attempt++) {
        const startedAt = performance.now()
        try {
          await cluster.start(i, env)
          const tookS = Math.round((performance.now() - startedAt) / 100) / 10
          say(`node-${i} listening again after ${tookS.toFixed(1)} s`)
          startTimes.push(tookS)
          return true
        } catch (err) {
          liveness(`node-${i} failed to start (attempt ${attempt}): ${(err as Error).message.slice(0, 2000)}`)
          await sleep(1000)
        }
      }
      return false
    }
    /** Every member answers at or above `height`, and the committee's head has passed it. */
    const recovered = async (height: number): Promise<boolean> => await until(RECOVERY_TIMEOUT_MS, async () => {
      if (cluster.responsive().length < cluster.size) return false
      const s = await Promise.all(all().map(async (i) => await monitor.status(i, cluster.url(i))))
      return s.every((x) => x !== null && x.height >= height) && monitor.head > height
    }, 100)

    let aborted = false
    for (const fault of schedule) {
      const left = opts.durationS * 1000 - (performance.now() - loadStartedAt)
      if (left < fault.gapMs + fault.downMs && opts.completePlan !== true) break
      await sleep(fault.gapMs)
      const record: FaultRecord = { seq: fault.seq, kind: fault.kind, targets: fault.targets, injectedAtS: 0, healedAtS: null, recoveredAtS: null, startS: null }
      faults.push(record)
      const inject = (targets: number[], what: string): void => {
        record.targets = targets
        record.injectedAtS = offsetS()
        say(`#${fault.seq} ${fault.kind}: ${what} (head ${monitor.head})`)
      }
      let up = true
      startTimes = []
      switch (fault.kind) {
        case 'kill-leader':
        case 'kill-random': {
          const target = fault.kind === 'kill-leader' ? await currentLeader() : { index: fault.targets[0]!, round: -1 }
          inject([target.index], `SIGKILL node-${target.index}${target.round >= 0 ? ` (leader of round ${target.round})` : ''}`)
          await cluster.kill(target.index)
          await sleep(fault.downMs)
          up = await restart(target.index)
          break
        }
        case 'freeze':
        case 'freeze-leader': {
          const target = fault.kind === 'freeze-leader' ? await currentLeader() : { index: fault.targets[0]!, round: -1 }
          inject([target.index], `SIGSTOP node-${target.index}${target.round >= 0 ? ` (leader of round ${target.round})` : ''}`)
          cluster.freeze(target.index)
          await sleep(fault.downMs)
          cluster.thaw(target.index)
          break
        }
        case 'wipe': {
          const target = fault.targets[0]!
          // A wiped disk loses what only it held: the member gets no new txs, and the ones
          // it acknowledged must be final (so replicated) before its data goes.
          route([target])
          const routedAt = performance.now()
          await sleep(1000)
          const stragglers = await settle(routedAt, PRE_WIPE_TIMEOUT_MS)
          if (stragglers > 0) liveness(`${stragglers} acknowledged txs were not final ${PRE_WIPE_TIMEOUT_MS / 1000} s after the load left node-${target}`)
          inject([target], `SIGKILL node-${target}, delete its data folder and rollup state`)
          await cluster.kill(target)
          await cluster.wipe(target)
          await sleep(fault.downMs)
          up = await restart(target)
          route([])
          break
        }
        case 'quorum-loss': {
          inject(fault.targets, `SIGKILL ${fault.targets.map((t) => `node-${t}`).join(' and ')} at once (no quorum)`)
          await Promise.all(fault.targets.map(async (t) => await cluster.kill(t)))
          await sleep(fault.downMs)
          up = (await Promise.all(fault.targets.map(async (t) => await restart(t)))).every(Boolean)
          break
        }
        case 'one-way-partition': {
          const [from, to] = fault.targets as [number, number]
          const dropped = async (): Promise<number> => await scrapeCounter(cluster.url(from), 'seq_p2p_dropped_total', { reason: 'muted' })
          /** consensus and chunk frames `at` received from `peer` */
          const heard = async (at: number, peer: number): Promise<number> => await scrapeCounter(cluster.url(at), 'seq_p2p_messages_in_total', { peer: String(peer) })
          const droppedBefore = await dropped()
          inject([from, to], `node-${from} -> node-${to} dropped (one way: node-${to} -> node-${from} flows)`)
          await cluster.devFaults(from, { muteTo: [to] })
          // frames already on the wire when the mute began still arrive: count from a moment later
          await sleep(MUTE_SETTLE_MS)
          const [toHeard, fromHeard] = [await heard(to, from), await heard(from, to)]
          await sleep(Math.max(0, fault.downMs - MUTE_SETTLE_MS))
          const [toHeardAfter, fromHeardAfter] = [await heard(to, from), await heard(from, to)]
          await cluster.devFaults(from, { muteTo: [] })
          const lost = await dropped() - droppedBefore
          const oneWay = lost > 0 && toHeardAfter === toHeard && fromHeardAfter > fromHeard
          record.effect = oneWay ? `node-${from} dropped ${lost} frames to node-${to} (seq_p2p_dropped_total{reason="muted"}); node-${to} heard nothing from it, node-${from} heard ${fromHeardAfter - fromHeard} from node-${to}` : null
          if (!oneWay) say(`#${fault.seq} not one way: dropped ${lost}, node-${to} heard ${toHeardAfter - toHeard} from node-${from}, node-${from} heard ${fromHeardAfter - fromHeard} from node-${to}`)
          break
        }
        case 'fsync-stop': {
          const target = fault.targets[0]!
          await cluster.devFaults(target, { diskDelayMs: FSYNC_PARK_MS })
          const parked = await until(10_000, async () => (await cluster.devFaultState(target)).disk.parkedWrites > 0, 10)
          inject([target], `SIGSTOP node-${target} ${parked ? 'while a store write is parked before its fsync' : 'with no write parked after 10 s (none came)'}`)
          record.effect = parked ? 'SIGSTOP with a store write parked' : null
          cluster.freeze(target)
          await sleep(fault.downMs)
          cluster.thaw(target)
          await cluster.devFaults(target, { diskDelayMs: 0 })
          break
        }
        case 'clock-skew': {
          const target = fault.targets[0]!
          const skewMs = fault.skewMs!
          inject([target], `restart node-${target} with its clock ${skewMs > 0 ? 'ahead' : 'behind'} by ${Math.abs(skewMs) / 1000} s (SEQ_CLOCK_OFFSET_MS=${skewMs})`)
          await cluster.kill(target)
          up = await restart(target, { SEQ_CLOCK_OFFSET_MS: String(skewMs) })
          await sleep(fault.downMs)
          const clock = (await monitor.status(target, cluster.url(target)))?.clock
          if (clock !== undefined) say(`#${fault.seq} node-${target} /v1/status clock: offset ${clock.offsetMs} ms, committee view ${clock.peerOffsetMs} ms, correction ${clock.correctionMs} ms`)
          record.effect = clock?.offsetMs === skewMs ? `/v1/status clock.offsetMs ${clock.offsetMs}, correctionMs ${clock.correctionMs}` : null
          await cluster.kill(target)
          up = up && await restart(target)
          break
        }
        case 'disk-fault': {
          const target = fault.targets[0]!
          const disk = fault.disk!
          inject([target], `node-${target}'s ${disk.paths.join('/')} writes fail with ${disk.code}`)
          const before = (await cluster.devFaults(target, { diskFail: disk })).disk.injected
          await sleep(fault.downMs)
          const failed = (await cluster.devFaults(target, { diskFail: null })).disk.injected - before
          record.effect = failed > 0 ? `${failed} store writes failed with ${disk.code}` : null
          break
        }
      }
      if (record.effect !== undefined) {
        if (record.effect === null) violations.push({ kind: ViolationKind.notInjected, detail: `#${fault.seq} ${fault.kind}: nothing showed that the fault took hold` })
        say(`#${fault.seq} ${record.effect === null ? 'VIOLATION not-injected: nothing showed that the fault took hold' : `took hold: ${record.effect}`}`)
      }
      const healHead = monitor.head
      record.healedAtS = offsetS()
      record.startS = startTimes.length === 0 ? null : Math.max(...startTimes)
      say(`#${fault.seq} healed: ${record.targets.map((t) => `node-${t}`).join(', ')} ${HEALED[fault.kind]}`)
      if (!up) { aborted = true; break }
      if (await recovered(healHead)) {
        record.recoveredAtS = offsetS()
        say(`#${fault.seq} recovered: every member at or above height ${healHead}, head ${monitor.head} (${(record.recoveredAtS - record.healedAtS).toFixed(1)} s after the heal)`)
      } else {
        liveness(`#${fault.seq} ${fault.kind}: the committee did not recover within ${RECOVERY_TIMEOUT_MS / 1000} s of the heal (head ${monitor.head}, heal at ${healHead})`)
      }
    }
    if (aborted) say('a member could not be restarted: faults stop here, checking what runs')
    else await sleep(Math.max(0, opts.durationS * 1000 - (performance.now() - loadStartedAt))) // calm until the end

    // ---- heal, stop the load, drain ----
    for (const i of all()) cluster.thaw(i)
    await Promise.all(cluster.responsive().map(async (i) => await cluster.devFaults(i, { muteTo: [], diskFail: null, diskDelayMs: 0 })))
    route([])
    await load.stop()
    monitor.stopMeasuring()
    say(`load stopped: ${load.stats.submitted} submitted, ${load.stats.acknowledged} acknowledged; draining`)
    const notFinal = await settle(Number.POSITIVE_INFINITY, DRAIN_TIMEOUT_MS)
    if (notFinal > 0) say(`${notFinal} acknowledged txs not seen final after ${DRAIN_TIMEOUT_MS / 1000} s of drain`)
    const level = await until(30_000, async () => {
      const s = await Promise.all(cluster.responsive().map(async (i) => await monitor.status(i, cluster.url(i))))
      return s.length === cluster.size && s.every((x) => x !== null && x.height === s[0]!.height)
    }, 200)
    if (!level) say('members are not level 30 s after the drain (the check reports the heights)')
    await until(30_000, async () => await rollupsCaughtUp(cluster), 200)
    watcher.close()

    say('reading every member through its API')
    const observation = await observeCommittee({
      members: cluster.responsive().map((i) => ({ index: i, url: cluster.url(i) })),
      genesis,
      acknowledged: [...acked.keys()]
    })
    const check = checkObservation(observation)
    for (const crash of cluster.crashes) violations.push({ kind: ViolationKind.liveness, detail: crash })
    violations.push(...check.violations)
    for (const v of check.violations) say(`VIOLATION ${v.kind}: ${v.detail}`)
    return buildResult(opts, { t0, schedule, faults, violations, check, load, watcher, monitor, log })
  } finally {
    if (mirror !== null) clearInterval(mirror)
    watcher?.close()
    await load?.stop()
    monitor.stop()
    await cluster.close()
    if (violations.length === 0 && !opts.keepData) await rm(home, { recursive: true, force: true })
  }
}

function buildResult (opts: CampaignOptions, r: {
  t0: number, schedule: PlannedFault[], faults: FaultRecord[], violations: Violation[], check: CheckResult,
  load: LoadGenerator, watcher: SliceWatcher, monitor: HeadMonitor, log: string[]
}): CampaignResult {
  const overF = r.faults.filter((f) => f.kind === 'quorum-loss').map((f) => [f.injectedAtS, f.recoveredAtS ?? Number.POSITIVE_INFINITY] as const)
  const withinF = r.monitor.stalls.filter((s) => overF.every(([from, to]) => s.toS <= from || s.fromS >= to))
  const faultsByKind: Record<string, number> = {}
  for (const f of r.faults) faultsByKind[f.kind] = (faultsByKind[f.kind] ?? 0) + 1
  const h = r.watcher.latencyMs
  return {
    seed: opts.seed,
    durationS: opts.durationS,
    nodes: opts.nodes,
    loadTps: opts.loadTps,
    replay: replayCommand(opts),
    passed: r.violations.length === 0,
    elapsedS: Math.round((performance.now() - r.t0) / 100) / 10,
    schedule: r.schedule,
    faults: r.faults,
    faultsByKind,
    txs: {
      submitted: r.load.stats.submitted,
      acknowledged: r.check.acknowledged,
      committed: r.check.committed,
      lost: r.check.lost,
      committedUnacknowledged: r.check.committedUnacknowledged,
      rejected: Object.fromEntries(r.load.stats.rejected),
      failed: r.load.stats.failed
    },
    longestStall: r.monitor.longest,
    longestStallWithinF: withinF.reduce<Stall | null>((a, b) => a === null || b.ms > a.ms ? b : a, null),
    latencyMs: h.totalCount > 0 ? { p50: h.getValueAtPercentile(50), p99: h.getValueAtPercentile(99), max: h.maxValue } : { p50: null, p99: null, max: null },
    finalHeight: r.check.height,
    violations: r.violations,
    log: r.log
  }
}

/** Polls `probe` until true or the deadline; returns the last answer. */
async function until (timeoutMs: number, probe: () => Promise<boolean>, intervalMs = 250): Promise<boolean> {
  const deadline = performance.now() + timeoutMs
  for (;;) {
    if (await probe()) return true
    if (performance.now() > deadline) return false
    await sleep(intervalMs)
  }
}

/** Asks a responsive member about txs the watcher has not seen final; forgets the committed ones. */
async function forgetCommitted (cluster: ChaosCluster, hashes: string[], unsettled: Map<string, number>): Promise<void> {
  const member = cluster.responsive()[0]
  if (member === undefined) return
  const client = new SequencerClient({ url: cluster.url(member), requestTimeoutMs: 2000 })
  for (const hash of hashes.slice(0, 2000)) {
    try {
      if ((await client.txStatus(hash))?.status === 'committed') unsettled.delete(hash)
    } catch {
      return
    }
  }
}

/** Every member's in-process rollups have executed its final height. */
async function rollupsCaughtUp (cluster: ChaosCluster): Promise<boolean> {
  const answers = await Promise.all(cluster.responsive().map(async (i) => {
    try {
      const res = await fetch(`${cluster.url(i)}/v1/rollups/state`, { signal: AbortSignal.timeout(2000) })
      const states = await res.json() as Array<{ height: number, finalHeight: number | null }>
      return states.every((s) => s.finalHeight !== null && s.height === s.finalHeight)
    } catch {
      return false
    }
  }))
  return answers.every(Boolean)
}
