/**
 * One measured run against one target: a fresh sequencer committee (`sequencer`, n
 * members, possibly 1) or a fresh 3-member etcd cluster (`etcd`), the same pre-signed
 * txs, the same open-loop schedule, the same HTTP client. Returns everything the
 * report needs; every process it starts is stopped before it returns (or throws).
 */
import type http from 'node:http'
import { readFileSync } from 'node:fs'
import { cpus, loadavg as osLoadavg } from 'node:os'
import { join } from 'node:path'
import WebSocket from 'ws'
import { committeeFromGenesis, SequencerApiError, SequencerClient, type VerifiedSlice } from '../../src/client/index.js'
import { startCommittee, type Committee } from './committee.js'
import { computeEfficiency, type Efficiency } from './efficiency.js'
import { startEtcdCluster } from './etcd.js'
import { batchTarget } from './batch-target.js'
import { agentFetch, keepAliveAgent, rawRequest } from './http.js'
import { byLabel, delta, histogramQuantile, MetricsSampler, type MetricMap } from './metrics.js'
import { createBenchVerifier, type TimedVerifier } from './node-verifier.js'
import { LoadRecord, runOpenLoop, TxState, waitUntil, type SubmitOutcome, type Target } from './open-loop.js'
import { workerTarget, type WorkerTarget } from './worker-target.js'
import { startProgress } from './progress.js'
import { splitIngress, summarizeSplit, type PathSplit } from './split-paths.js'
import { cdfPoints, r1, r2, summarize, type Summary } from './stats.js'
import type { TxSet } from './txgen.js'
import { followerStages } from './follower-scenarios.js'
import { recoveryOf, tailCount, type Recovery } from './recovery.js'

export const CHAIN_ID = 'bench-1'

export interface RunSettings {
  rate: number
  duration: number
  warmup: number
  drain: number
  senders: number
  /** txs per POST /v1/txs/batch request (sequencer runs); 0 = one POST /v1/txs per tx */
  batch: number
  /** this rollup's txs are posted from a worker thread (worker-target.ts): the flood scenario's flooding rollup */
  workerRollup?: string
  actions: number
  payloadBytes: number
  rollups: string[]
  verifier: 'node' | 'noble'
  rollupExec: boolean
  /** the followers run the in-process rollups too (default: as `rollupExec`) */
  followerRollups?: boolean
  nodeConfig?: Record<string, unknown>
  /** sampled txs per second whose node-side stages are polled; 0 = none */
  pollSample: number
  subscribeMember: number
  runDir: string
  keep: boolean
  cpuProfMember?: number
  cpuProfFollower?: number
  /** members from another checkout (A/B runs), see CommitteeOptions.nodeTree */
  nodeTree?: string
  /** followers started next to the members (their public network is on only then) */
  followers: number
  /** where the senders post: the members' APIs, the followers' (round-robin over senders), or split (bench/lib/split-paths.ts) */
  submitVia: 'members' | 'followers' | 'split'
  /** whose slice streams (and tx status) are followed: member `subscribeMember`, or follower 0 */
  subscribeVia: 'member' | 'follower'
  /** after the measured window, `seconds` more at `rate` tx/s: the overload scenario's recovery phase (result.recovery) */
  tail?: { rate: number, seconds: number }
  signal: AbortSignal
}

/** A fault injected during the measured window of a sequencer run (`--scenario`). */
export type Fault =
  | { kind: 'member-down', member: number }
  | { kind: 'leader-crash', everyS: number }
  /** SIGSTOP for `pauseMs`, then SIGCONT, every `everyMs`, through the measured window */
  | { kind: 'slow-member', member: number, pauseMs: number, everyMs: number }
  /** the member runs with SEQ_CLOCK_OFFSET_MS = offsetMs from its start */
  | { kind: 'clock-skew', member: number, offsetMs: number }

export type RunSpec =
  | { kind: 'sequencer', nodes: number, label: string, fault?: Fault, followers?: number, hook?: () => RunHook }
  | { kind: 'etcd', members: number, label: string }

/**
 * Extra work around one sequencer run (bench/lib/follower-scenarios.ts): started once the
 * committee is up, before the load; `finish` after the drain gives `result.checks`;
 * `stop` always runs.
 */
export interface RunHook {
  start: (ctx: { committee: Committee, fromHeight: number, rec: LoadRecord, signal: AbortSignal }) => Promise<void>
  finish: () => Promise<Record<string, unknown>>
  stop: () => Promise<void>
}

export interface StageSet {
  ack: Summary
  /** submit -> refusal answered (an error answer: 503, 429, ...) */
  refused?: Summary
  proposed_at_node_sampled?: Summary
  final_at_node_sampled?: Summary
  final_delivered: Summary
  ack_to_final_delivered?: Summary
  delivered_after_node_final_sampled?: Summary
}

export interface RunResult {
  label: string
  target: 'sequencer' | 'etcd'
  members: number
  rate: number
  duration_s: number
  warmup_s: number
  offered_tps: number | null
  committed_tps: number | null
  payloads_per_s: number | null
  /** submit (scheduled instant) -> final: tx in a verified final slice delivered to the subscriber (etcd: put answered) */
  latency_ms: Summary
  /** submit -> final of the txs scheduled in the second half of the window (past the start-up transient) */
  latency_ms_second_half: Summary
  stages_ms: StageSet
  submitted: number
  acknowledged: number
  committed: number
  rejected: Record<string, number>
  lost: number
  final_without_ack: number
  unanswered: number
  warmup_txs: { submitted: number, acknowledged: number, committed: number, lost: number }
  rss_mb_max: Record<string, number | null>
  cpu_cores: Record<string, number | null>
  eventloop_lag_p99_ms_max: Record<string, number | null>
  mempool_txs_max?: Record<string, number | null>
  /** the overload scenario: how latency came back in the tail after the measured window (recovery.ts) */
  recovery?: Recovery
  node_metrics?: Record<string, unknown>
  /** cost per round and per final tx, per member and for the committee (sequencer runs) */
  efficiency?: Efficiency
  etcd?: Record<string, unknown>
  client: {
    cpu_cores: number | null
    event_loop_utilization: number | null
    schedule_lag_ms: Summary
    max_in_flight: number
    senders: number
    verifier?: string
    slices_verified?: number
    verify_ms_mean?: number | null
    verify_ms_max?: number | null
    verify_cpu_cores?: number | null
    stream_errors?: Record<string, number>
    poll_sampled?: number
  }
  timeline: Array<{ t: number, offered: number, committed: number, p50: number | null, p99: number | null }>
  /** the whole machine in the window (/proc/stat): busy cores, and what neither the members nor the client used */
  machine?: { cores: number, busy_cores: number | null, other_cores: number | null }
  startup_ms: number
  load_average_before: number[]
  load_average_after: number[]
  /** per stage, about 300 points [latency ms, fraction] of the empirical CDF (for the plots) */
  cdf: Record<string, Array<[number, number]>>
  /** per genesis rollup (by name), over the measured window: offered and final tx/s, refusals by code, submit -> final */
  per_rollup: Record<string, { offered_tps: number | null, committed_tps: number | null, submitted: number, rejected: Record<string, number>, lost: number, latency_ms: Summary }>
  /** which APIs the load went through and whose streams were followed (sequencer runs) */
  paths?: { followers: number, submit_via: RunSettings['submitVia'], subscribe_via: 'member' | 'follower', ingress: string[], subscriber: string }
  /** `--submit-via split`: each path's own latency in this run */
  path_split?: PathSplit
  /**
   * With followers: every node's counters of the tx path at the end of the run (totals since
   * its start, warm-up included): relayed by followers, admitted / rejected by the members
   * (by label), follower messages. Compare relayed with admitted when relayed txs go missing.
   */
  relay_counters?: Record<string, Record<string, number>>
  /** per follower: batches' age at first arrival and when served, by path (bench/lib/follower-scenarios.ts) */
  follower_stages?: ReturnType<typeof followerStages>
  /** the injected fault and what happened, in seconds since the load started (client clock) */
  fault?: { kind: Fault['kind'], events: FaultEvent[] }
  /** what a RunHook checked (e.g. followers' deliveries, a flooder's cut-off) */
  checks?: Record<string, unknown>
  error?: string
}

export interface FaultEvent {
  /** seconds since the load started */
  t_s: number
  action: 'kill' | 'restart' | 'pauses' | 'clock'
  member: number
  /** pauses: how many SIGSTOP/SIGCONT cycles, of how long */
  pauses?: number
  pause_ms?: number
  /** clock: the skewed member's /v1/status clock (configured offset, the committee's median view of it, the correction it applies) and a healthy member's view of the committee */
  clock?: { offsetMs: number, peerOffsetMs: number, correctionMs: number } | null
  healthy_clock?: { offsetMs: number, peerOffsetMs: number, correctionMs: number } | null
  /** kill: the final height of a live member (`watched`) just before the kill */
  height?: number
  /** kill: ms until that member's /v1/status showed a higher final height (null: not within the run) */
  progress_after_ms?: number | null
  watched?: string
  /** restart: ms until the restarted member's API answered */
  restart_ms?: number
  /** leader-crash: the round's leader by /v1/status of the member asked */
  asked?: string
}

export async function runOne (spec: RunSpec, txs: TxSet, hashIndex: Map<string, number>, s: RunSettings): Promise<RunResult> {
  return spec.kind === 'sequencer' ? await runSequencer(spec, txs, hashIndex, s) : await runEtcd(spec, txs, s)
}

/** jiffies of the whole machine from /proc/stat: [busy, total] */
function machineJiffies (): [number, number] | null {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number)
    const total = f.reduce((a, b) => a + b, 0)
    const idle = (f[3] ?? 0) + (f[4] ?? 0)
    return [total - idle, total]
  } catch {
    return null
  }
}

interface Window {
  machine0?: [number, number] | null
  machine1?: [number, number] | null
  cpu0?: NodeJS.CpuUsage
  elu0?: ReturnType<typeof performance.eventLoopUtilization>
  cpu?: NodeJS.CpuUsage
  elu?: ReturnType<typeof performance.eventLoopUtilization>
  verify0?: number
  verify1?: number
  metrics0?: Map<string, MetricMap | null>
  metrics1?: Map<string, MetricMap | null>
}

/** Schedules the window snapshots (client CPU, event loop, node metrics) at the window edges. */
function watchWindow (rec: LoadRecord, sampler: MetricsSampler, verifier: TimedVerifier | null): { win: Window, ended: Promise<void> } {
  const win: Window = {}
  const startIn = Math.max(0, rec.measureStart - performance.now())
  const endIn = Math.max(0, rec.loadEnd - performance.now())
  setTimeout(() => {
    win.cpu0 = process.cpuUsage()
    win.machine0 = machineJiffies()
    win.elu0 = performance.eventLoopUtilization()
    win.verify0 = verifier?.timing.totalMs ?? 0
    void sampler.snapshot().then((m) => { win.metrics0 = m })
  }, startIn)
  const ended = new Promise<void>((resolve) => {
    setTimeout(() => {
      win.cpu = process.cpuUsage(win.cpu0)
      win.machine1 = machineJiffies()
      win.elu = performance.eventLoopUtilization(win.elu0)
      win.verify1 = verifier?.timing.totalMs ?? 0
      void sampler.snapshot().then((m) => { win.metrics1 = m; resolve() })
    }, endIn)
  })
  return { win, ended }
}

async function runSequencer (spec: Extract<RunSpec, { kind: 'sequencer' }>, txs: TxSet, hashIndex: Map<string, number>, s: RunSettings): Promise<RunResult> {
  const loadBefore = loadavg()
  const committee = await startCommittee({
    nodes: spec.nodes,
    chainId: txs.chainId,
    rollups: s.rollups,
    logDir: join(s.runDir, 'logs', spec.label),
    keepHome: s.keep,
    rollupExec: s.rollupExec,
    ...(s.followerRollups !== undefined ? { followerRollups: s.followerRollups } : {}),
    nodeConfig: s.nodeConfig,
    cpuProfMember: s.cpuProfMember,
    cpuProfFollower: s.cpuProfFollower,
    ...(s.nodeTree !== undefined ? { nodeTree: s.nodeTree } : {}),
    profileDir: join(s.runDir, 'profiles', spec.label),
    followers: spec.followers ?? s.followers,
    ...(s.actions > 16 ? { genesisLimits: { maxActionsPerTx: s.actions } } : {}),
    ...(spec.fault?.kind === 'clock-skew' ? { memberEnv: { [spec.fault.member]: { SEQ_CLOCK_OFFSET_MS: String(spec.fault.offsetMs) } } } : {})
  })
  const agents: http.Agent[] = []
  const subs: Array<{ close: () => void, done: Promise<void> }> = []
  let sampler: MetricsSampler | null = null
  let progress: { stop: () => void } | null = null
  let hook: RunHook | null = null
  let offload: WorkerTarget | null = null
  try {
    const n = committee.members.length
    // Each rollup's senders have their own connections, as separate rollups' users would: with
    // shared ones a flooding rollup's requests queued ahead of the others' in the client
    // (one request in flight per connection), before any part of the node saw them.
    const rollupSlots = [...new Set(txs.rollupIds)]
    const slotOf = (i: number): number => rollupSlots.indexOf(txs.rollupIds[i]!)
    // A rollup's txs go round its senders, and so round the members, in turn whatever the
    // rollup mix: with sender i mod senders, two alternating rollups each reached only half the
    // members, at twice the rate each (which a per-member lane rate then refused).
    const rollupSeq = new Uint32Array(txs.count)
    const seen = new Map<number, number>()
    for (let i = 0; i < txs.count; i++) { const r = txs.rollupIds[i]!; const j = seen.get(r) ?? 0; rollupSeq[i] = j; seen.set(r, j + 1) }
    const senderOf = (i: number): number => rollupSeq[i]! % s.senders
    const senderAgents = Array.from({ length: s.senders * rollupSlots.length }, () => keepAliveAgent(1))
    agents.push(...senderAgents)
    if ((s.submitVia !== 'members' || s.subscribeVia === 'follower') && committee.followers.length === 0) throw new Error('--submit-via followers|split and --subscribe-via follower need --followers >= 1')
    // ingress nodes (by index into `ingress`); a sender k posts to ingress k mod count, and
    // to the next live one while that is down (a killed member), once more on a dropped connection
    const split = s.submitVia === 'split'
    const ingress = s.submitVia === 'followers' ? committee.followers : split ? splitIngress(committee.members, committee.followers[0]!) : committee.members
    const viaFollower = (i: number): boolean => committee.followers.includes(ingress[senderOf(i) % ingress.length]!)
    const down = new Set<number>()
    const clients = senderAgents.map((agent) => ingress.map((node) => new SequencerClient({ url: node.url, fetch: agentFetch(agent), requestTimeoutMs: 30_000 })))
    const subMember = s.subscribeVia === 'follower' ? committee.followers[0]! : committee.members[Math.min(s.subscribeMember, n - 1)]!
    const sideAgent = keepAliveAgent(16)
    agents.push(sideAgent)
    const verifier = createBenchVerifier(committeeFromGenesis(committee.genesisText), s.verifier)
    const follower = new SequencerClient({ url: subMember.url, fetch: agentFetch(sideAgent), WebSocket: WebSocket as never, verifier })
    const status = await follower.status()
    const from = status.height + 1

    const total = txs.count
    const warmupCount = Math.round(s.rate * s.warmup)
    const rec = new LoadRecord(total, s.rate, warmupCount, s.tail === undefined ? undefined : { rate: s.tail.rate, count: tailCount(s.tail) })
    const recent: number[] = []
    const streamErrors: Record<string, number> = {}
    let streamFailure: string | null = null
    let slices = 0
    let lastHeight = status.height
    // split: each stream finalises only the txs of its own path, and notes when it saw every tx
    const seenOn = split ? { member: new Float64Array(total).fill(Number.NaN), follower: new Float64Array(total).fill(Number.NaN) } : null
    const onSliceOf = (path: 'any' | 'member' | 'follower') => (slice: VerifiedSlice): void => {
      const now = performance.now()
      slices++
      if (slice.height > lastHeight) lastHeight = slice.height
      for (const leaf of slice.txs) {
        if (leaf.actionIndex !== 0) continue
        const i = hashIndex.get(leaf.txHash)
        if (i !== undefined && seenOn !== null && path !== 'any' && Number.isNaN(seenOn[path][i]!)) seenOn[path][i] = now
        if (i === undefined || !Number.isNaN(rec.final[i]!)) continue
        if (path !== 'any' && (path === 'follower') !== viaFollower(i)) continue
        rec.markFinal(i, now)
        recent.push(now - rec.scheduled[i]!)
      }
    }
    const streams: Array<{ client: SequencerClient, path: 'any' | 'member' | 'follower' }> = split
      ? [{ client: follower, path: s.subscribeVia }, { client: new SequencerClient({ url: (s.subscribeVia === 'follower' ? committee.members[Math.min(s.subscribeMember, n - 1)]! : committee.followers[0]!).url, fetch: agentFetch(sideAgent), WebSocket: WebSocket as never, verifier }), path: s.subscribeVia === 'follower' ? 'member' : 'follower' }]
      : [{ client: follower, path: 'any' }]
    for (const r of committee.rollups) for (const { client, path } of streams) {
      const sub = client.subscribeSlices({
        rollup: r.id,
        from,
        onSlice: onSliceOf(path),
        reconnect: { maxDelayMs: 500 },
        onError: (err) => { const code = (err as { code?: string }).code ?? 'ERROR'; streamErrors[code] = (streamErrors[code] ?? 0) + 1 }
      })
      sub.done.catch((err: Error) => { streamFailure = `${(err as { code?: string }).code ?? 'ERROR'}: ${err.message}` })
      subs.push(sub)
    }

    sampler = new MetricsSampler([...committee.members, ...committee.followers].map((m) => ({ name: m.name, url: m.url })), sideAgent, 'seq_')
    sampler.start()

    const ingressOf = (k: number): number => {
      const base = k % ingress.length
      for (let d = 0; d < ingress.length; d++) if (!down.has((base + d) % ingress.length)) return (base + d) % ingress.length
      return base
    }
    const direct: Target = s.batch > 0 ? batchTarget({ urls: ingress.map((m) => m.url), agents: senderAgents.slice(0, s.senders), txBytes: txs.bytes, batch: s.batch, signal: s.signal }) : {
      submit: async (i): Promise<SubmitOutcome> => {
        const k = senderOf(i)
        let code = 'CLIENT_ERROR'
        for (let attempt = 0; attempt < 2; attempt++) {
          const at = ingressOf(k)
          try {
            await clients[k + s.senders * slotOf(i)]![at]!.submit(txs.bytes[i]!)
            return { ok: true }
          } catch (err) {
            code = err instanceof SequencerApiError ? err.code : 'CLIENT_ERROR'
            // no reply (its member killed): resubmitting elsewhere is safe (txs are deduplicated by hash)
            if ((code !== 'NETWORK_ERROR' && code !== 'CLIENT_ERROR') || !down.has(at)) break
          }
        }
        return { ok: false, code }
      }
    }

    const offloadId = s.workerRollup === undefined || s.batch > 0 || s.submitVia !== 'members' ? undefined : committee.rollups.find((r) => r.name === s.workerRollup)?.id
    if (offloadId !== undefined) offload = workerTarget({ urls: ingress.map((m) => m.url), senders: s.senders, txBytes: txs.bytes })
    const worker = offload
    const target: Target = worker === null ? direct : { submit: async (i) => txs.rollupIds[i] === offloadId ? await worker.submit(i, senderOf(i)) : await direct.submit(i) }

    // Node-side stages of a sample: poll GET /v1/txs/:hash on the subscriber's member, for
    // txs that member admitted (only the ingress member reports `proposed`; the others
    // know a tx only once it is final).
    const subIngress = ingress.indexOf(subMember)
    const sampleEvery = s.pollSample > 0 && subIngress >= 0 ? Math.max(1, Math.round(s.rate / ingress.length / s.pollSample)) : 0
    let eligible = 0
    let polling = 0
    let polled = 0
    const pollDeadline = (): number => rec.sendEnd + s.drain * 1000
    const poll = async (i: number): Promise<void> => {
      polling++
      polled++
      try {
        const hash = txs.hashes[i]!
        let lastPendingSent = rec.sent[i]!
        let lastNotFinalSent = rec.sent[i]!
        for (;;) {
          const sentAt = performance.now()
          if (sentAt > pollDeadline() || s.signal.aborted) return
          let st: Awaited<ReturnType<SequencerClient['txStatus']>> = null
          try {
            st = await follower.txStatus(hash)
          } catch {
            st = null
          }
          const got = performance.now()
          const state = st?.status ?? 'pending'
          if (state === 'pending' || state === 'relayed') lastPendingSent = sentAt
          if (state === 'proposed' && Number.isNaN(rec.proposedAtNode[i]!)) rec.proposedAtNode[i] = (lastPendingSent + got) / 2
          if (state === 'pending' || state === 'relayed' || state === 'proposed') lastNotFinalSent = sentAt
          if (state === 'committed') {
            rec.finalAtNode[i] = (lastNotFinalSent + got) / 2
            if (Number.isNaN(rec.proposedAtNode[i]!)) rec.proposedAtNode[i] = (lastPendingSent + got) / 2
            return
          }
          if (state === 'rejected') return
          // about 5 % resolution: 5 ms steps at first, longer for slow txs
          const wait = Math.max(5, (got - rec.scheduled[i]!) / 20)
          await new Promise((resolve) => setTimeout(resolve, wait))
        }
      } finally {
        polling--
      }
    }
    const onAck = (i: number, outcome: SubmitOutcome): void => {
      if (!outcome.ok || sampleEvery === 0 || !rec.isMeasured(i) || senderOf(i) % ingress.length !== subIngress) return
      if (eligible++ % sampleEvery !== 0 || polling >= 8) return
      void poll(i)
    }

    const ac = new AbortController()
    const onAbort = (): void => ac.abort()
    s.signal.addEventListener('abort', onAbort, { once: true })
    progress = startProgress(spec.label, rec, s, recent, () => `height ${lastHeight}`)
    hook = spec.hook?.() ?? null
    await hook?.start({ committee, fromHeight: from, rec, signal: ac.signal })
    const loop = runOpenLoop(rec, target, { onAck, signal: ac.signal })
    const { win, ended } = watchWindow(rec, sampler, verifier)
    const faultEvents: FaultEvent[] = []
    const faultDone = spec.fault === undefined ? Promise.resolve() : injectFault(spec.fault, {
      rec,
      committee,
      down,
      events: faultEvents,
      height: () => lastHeight,
      statusOf: async (i) => await new SequencerClient({ url: committee.members[i]!.url, fetch: agentFetch(sideAgent), requestTimeoutMs: 2000 }).status(),
      deadline: () => rec.sendEnd + s.drain * 1000,
      signal: ac.signal
    })
    await loop
    await ended
    await faultDone
    // drain: every answered submit, every acknowledged tx final, or the drain deadline
    const deadline = rec.sendEnd + s.drain * 1000
    await waitUntil(() => rec.inFlight === 0 && rec.finalCount >= rec.ackedCount && polling === 0, deadline, s.signal)
    s.signal.removeEventListener('abort', onAbort)
    if (s.signal.aborted) throw new Error('interrupted')
    progress.stop()
    progress = null
    sampler.stop()
    const finalSnap = await sampler.snapshot()
    for (const sub of subs) sub.close()
    await Promise.allSettled(subs.map((x) => x.done))

    const result = summarizeRecord(spec.label, 'sequencer', n, rec, s, txs, win, loadBefore)
    result.paths = { followers: committee.followers.length, submit_via: s.submitVia, subscribe_via: s.subscribeVia, ingress: ingress.map((m) => m.name), subscriber: subMember.name }
    if (spec.fault !== undefined) result.fault = { kind: spec.fault.kind, events: faultEvents }
    if (hook !== null) result.checks = await hook.finish()
    if (committee.followers.length > 0) result.relay_counters = relayCounters(finalSnap)
    if (committee.followers.length > 0) result.follower_stages = followerStages(committee.followers.map((f) => f.name), win.metrics0, win.metrics1 ?? finalSnap)
    if (seenOn !== null) result.path_split = summarizeSplit(rec, viaFollower, seenOn)
    result.startup_ms = Math.round(committee.startMs)
    result.rss_mb_max = sampler.rssMbMax()
    result.eventloop_lag_p99_ms_max = sampler.lagMsMax(rec.measureStart, rec.loadEnd + 1000)
    result.mempool_txs_max = sampler.mempoolMax(rec.t0, rec.sendEnd + s.drain * 1000)
    if (s.tail !== undefined) result.recovery = recoveryOf(rec)
    result.cpu_cores = cpuCores(win, s.duration, 'seq_')
    result.machine = machineUse(win, result)
    // rounds, chunks and batches are members' figures: a follower subscriber has none of them
    const measuredMember = committee.members.includes(subMember) ? subMember.name : committee.members[0]!.name
    result.node_metrics = nodeMetrics(win, finalSnap, committee.members.map((m) => m.name), measuredMember, s.duration)
    // a restarted member's counters start again from 0: window deltas would be meaningless
    if (spec.fault?.kind !== 'leader-crash') {
      result.efficiency = computeEfficiency(win.metrics0, win.metrics1, committee.members.map((m) => m.name), measuredMember, s.duration)
    }
    const verifySeconds = ((win.verify1 ?? 0) - (win.verify0 ?? 0)) / 1000
    result.client = {
      ...result.client,
      verifier: s.verifier,
      slices_verified: slices,
      verify_ms_mean: r2(verifier.timing.calls === 0 ? null : verifier.timing.totalMs / verifier.timing.calls),
      verify_ms_max: r2(verifier.timing.maxMs),
      verify_cpu_cores: r2(verifySeconds / s.duration),
      stream_errors: streamErrors,
      poll_sampled: polled
    }
    if (streamFailure !== null) result.error = `slice stream ended: ${streamFailure}`
    return result
  } finally {
    await hook?.stop()
    progress?.stop()
    sampler?.stop()
    for (const sub of subs) sub.close()
    for (const a of agents) a.destroy()
    await offload?.close()
    await committee.stop()
  }
}

const RELAY_METRICS = ['seq_follower_txs_relayed_total', 'seq_follower_messages_total', 'seq_txs_admitted_total', 'seq_txs_rejected_total']

function relayCounters (snap: Map<string, MetricMap | null>): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {}
  for (const [node, m] of snap) {
    const mine: Record<string, number> = {}
    for (const [key, value] of m ?? []) if (RELAY_METRICS.some((name) => key === name || key.startsWith(`${name}{`))) mine[key] = value
    out[node] = mine
  }
  return out
}

interface FaultContext {
  rec: LoadRecord
  committee: Committee
  /** ingress indices the senders avoid (the members' own indices when submitting via members) */
  down: Set<number>
  events: FaultEvent[]
  /** highest final height the subscriber has seen (if a member's status does not answer) */
  height: () => number
  statusOf: (member: number) => Promise<{ leader: number, height: number, clock?: { offsetMs: number, peerOffsetMs: number, correctionMs: number } }>
  deadline: () => number
  signal: AbortSignal
}

const sleepMs = async (ms: number): Promise<void> => { await new Promise((resolve) => setTimeout(resolve, Math.max(0, ms))) }

/**
 * The fault of a scenario run, from the start of the measured window (after the warm-up):
 * `member-down` SIGKILLs one member and leaves it down; `leader-crash` asks a live member
 * for the round's leader every `everyS` s, SIGKILLs it and restarts it at once from its
 * folder (same ports). Each kill records how long until a live member's final height moved on.
 */
async function injectFault (fault: Fault, c: FaultContext): Promise<void> {
  const since = (): number => Math.round((performance.now() - c.rec.t0) / 10) / 100
  const n = c.committee.members.length
  const liveOther = (): number => [...Array(n).keys()].find((i) => !c.down.has(i)) ?? 0
  const heightAt = async (member: number): Promise<number | null> => {
    try { return (await c.statusOf(member)).height } catch { return null }
  }
  // progress = a live member's final height passes the one it had when the kill was sent
  const watchProgress = (ev: FaultEvent, killedAt: number, member: number): void => {
    const h = ev.height ?? -1
    void (async () => {
      for (;;) {
        const now = await heightAt(member)
        if (now !== null && now > h) { ev.progress_after_ms = Math.round(performance.now() - killedAt); return }
        if (performance.now() >= c.deadline() || c.signal.aborted) return
        await sleepMs(20)
      }
    })()
  }
  const kill = async (member: number, asked?: string): Promise<void> => {
    c.down.add(member)
    const watcher = liveOther()
    const height = await heightAt(watcher) ?? c.height()
    const killedAt = performance.now()
    const ev: FaultEvent = { t_s: since(), action: 'kill', member, height, progress_after_ms: null, watched: c.committee.members[watcher]!.name, ...(asked !== undefined ? { asked } : {}) }
    c.events.push(ev)
    await c.committee.kill(member)
    watchProgress(ev, killedAt, watcher)
  }
  await sleepMs(c.rec.measureStart - performance.now())
  if (c.signal.aborted) return
  if (fault.kind === 'slow-member') {
    const child = c.committee.members[fault.member]!.proc.child
    let pauses = 0
    try {
      while (!c.signal.aborted && performance.now() < c.rec.loadEnd) {
        child.kill('SIGSTOP')
        await sleepMs(fault.pauseMs)
        child.kill('SIGCONT')
        pauses++
        await sleepMs(fault.everyMs - fault.pauseMs)
      }
    } finally {
      child.kill('SIGCONT')
    }
    c.events.push({ t_s: since(), action: 'pauses', member: fault.member, pauses, pause_ms: fault.pauseMs })
    return
  }
  if (fault.kind === 'clock-skew') {
    // the skew is there from the start; at the end of the load: what the members report of it
    await sleepMs(c.rec.loadEnd - performance.now())
    const clockOf = async (i: number): Promise<FaultEvent['clock']> => { try { return (await c.statusOf(i)).clock ?? null } catch { return null } }
    c.events.push({ t_s: since(), action: 'clock', member: fault.member, clock: await clockOf(fault.member), healthy_clock: await clockOf((fault.member + 1) % n) })
    return
  }
  if (fault.kind === 'member-down') {
    await kill(fault.member)
    return
  }
  for (let k = 0; ; k++) {
    await sleepMs(c.rec.measureStart + k * fault.everyS * 1000 - performance.now())
    if (c.signal.aborted || performance.now() >= c.rec.loadEnd) return
    const ask = liveOther()
    let leader: number
    try {
      leader = (await c.statusOf(ask)).leader
    } catch {
      continue
    }
    if (!Number.isInteger(leader) || leader < 0 || leader >= n) continue
    await kill(leader, c.committee.members[ask]!.name)
    const t0 = performance.now()
    await c.committee.restart(leader)
    c.down.delete(leader)
    c.events.push({ t_s: since(), action: 'restart', member: leader, restart_ms: Math.round(performance.now() - t0) })
  }
}

async function runEtcd (spec: Extract<RunSpec, { kind: 'etcd' }>, txs: TxSet, s: RunSettings): Promise<RunResult> {
  const loadBefore = loadavg()
  const t0 = performance.now()
  // bodies made before the window, like the signatures
  const bodies = txs.bytes.map((b, i) => JSON.stringify({ key: Buffer.from(txs.hashes[i]!, 'hex').toString('base64'), value: Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64') }))
  const cluster = await startEtcdCluster({ members: spec.members, logDir: join(s.runDir, 'logs', spec.label), keepData: s.keep })
  const startupMs = performance.now() - t0
  const agents: http.Agent[] = []
  let sampler: MetricsSampler | null = null
  let progress: { stop: () => void } | null = null
  try {
    const n = cluster.clientUrls.length
    const senderAgents = Array.from({ length: s.senders }, () => { const a = keepAliveAgent(1); agents.push(a); return a })
    const sideAgent = keepAliveAgent(8)
    agents.push(sideAgent)
    const total = txs.count
    const warmupCount = Math.round(s.rate * s.warmup)
    const rec = new LoadRecord(total, s.rate, warmupCount, s.tail === undefined ? undefined : { rate: s.tail.rate, count: tailCount(s.tail) })
    const revisions = new Float64Array(total).fill(Number.NaN)
    const recent: number[] = []
    const target: Target = {
      submit: async (i): Promise<SubmitOutcome> => {
        const k = i % s.senders
        try {
          const reply = await rawRequest(senderAgents[k]!, `${cluster.clientUrls[k % n]!}/v3/kv/put`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: bodies[i]!, signal: AbortSignal.timeout(30_000) })
          if (reply.status !== 200) {
            let code = `HTTP_${reply.status}`
            try { code = `ETCD_${String((JSON.parse(reply.body.toString('utf8')) as { code?: number }).code ?? reply.status)}` } catch { /* not JSON */ }
            return { ok: false, code }
          }
          const body = JSON.parse(reply.body.toString('utf8')) as { header?: { revision?: string } }
          return { ok: true, revision: Number(body.header?.revision ?? Number.NaN) }
        } catch {
          return { ok: false, code: 'NETWORK_ERROR' }
        }
      }
    }
    const onAck = (i: number, outcome: SubmitOutcome): void => {
      if (!outcome.ok) return
      // the put's reply is the commit: acknowledged = final, at the revision it names
      rec.markFinal(i, rec.acked[i]!)
      recent.push(rec.acked[i]! - rec.scheduled[i]!)
      if (outcome.revision !== undefined) revisions[i] = outcome.revision
    }
    sampler = new MetricsSampler(cluster.clientUrls.map((u, i) => ({ name: cluster.names[i]!, url: u })), sideAgent, '')
    sampler.start()
    const ac = new AbortController()
    const onAbort = (): void => ac.abort()
    s.signal.addEventListener('abort', onAbort, { once: true })
    progress = startProgress(spec.label, rec, s, recent, () => '')
    const loop = runOpenLoop(rec, target, { onAck, signal: ac.signal })
    const { win, ended } = watchWindow(rec, sampler, null)
    await loop
    await ended
    await waitUntil(() => rec.inFlight === 0, rec.loadEnd + s.drain * 1000, s.signal)
    s.signal.removeEventListener('abort', onAbort)
    if (s.signal.aborted) throw new Error('interrupted')
    progress.stop()
    progress = null
    sampler.stop()

    const result = summarizeRecord(spec.label, 'etcd', n, rec, s, txs, win, loadBefore)
    result.startup_ms = Math.round(startupMs)
    result.rss_mb_max = sampler.rssMbMax()
    result.eventloop_lag_p99_ms_max = {}
    result.cpu_cores = cpuCores(win, s.duration, '')
    result.machine = machineUse(win, result)
    // the log's order: every answered put got its own revision
    const revs = [...revisions].filter((r) => Number.isFinite(r))
    const distinct = new Set(revs).size
    const m0 = win.metrics0
    const m1 = win.metrics1
    const leader = cluster.names.find((name) => (m1?.get(name)?.get('etcd_server_is_leader') ?? 0) === 1) ?? null
    result.etcd = {
      version: cluster.version,
      revisions: revs.length,
      revisions_distinct: distinct,
      revision_min: revs.length === 0 ? null : Math.min(...revs),
      revision_max: revs.length === 0 ? null : Math.max(...revs),
      leader,
      wal_fsync_ms: Object.fromEntries(cluster.names.map((name) => [name, {
        p50: r2(msOrNull(histogramQuantile(m0?.get(name), m1?.get(name), 'etcd_disk_wal_fsync_duration_seconds', 0.5))),
        p99: r2(msOrNull(histogramQuantile(m0?.get(name), m1?.get(name), 'etcd_disk_wal_fsync_duration_seconds', 0.99)))
      }])),
      proposals_committed_per_s: leader === null ? null : r1(delta(m0?.get(leader), m1?.get(leader), 'etcd_server_proposals_committed_total') / s.duration)
    }
    return result
  } finally {
    progress?.stop()
    sampler?.stop()
    for (const a of agents) a.destroy()
    await cluster.stop()
  }
}

function machineUse (win: Window, r: RunResult): RunResult['machine'] {
  const cores = cpus().length
  if (win.machine0 == null || win.machine1 == null) return { cores, busy_cores: null, other_cores: null }
  const busy = win.machine1[0] - win.machine0[0]
  const total = win.machine1[1] - win.machine0[1]
  const busyCores = total > 0 ? busy / total * cores : Number.NaN
  const ours = Object.values(r.cpu_cores).reduce<number>((a, b) => a + (b ?? 0), 0) + (r.client.cpu_cores ?? 0)
  return { cores, busy_cores: r2(busyCores), other_cores: r2(Math.max(0, busyCores - ours)) }
}

function msOrNull (seconds: number | null): number | null {
  return seconds === null ? null : seconds * 1000
}

function cpuCores (win: Window, durationS: number, prefix: string): Record<string, number | null> {
  const out: Record<string, number | null> = {}
  for (const [name, m1] of win.metrics1 ?? new Map<string, MetricMap | null>()) {
    const d = delta(win.metrics0?.get(name), m1, `${prefix}process_cpu_seconds_total`)
    out[name] = r2(d / durationS)
  }
  return out
}

function nodeMetrics (win: Window, finalSnap: Map<string, MetricMap | null>, names: string[], subscriber: string, durationS: number): Record<string, unknown> {
  const m0 = win.metrics0?.get(subscriber)
  const m1 = win.metrics1?.get(subscriber)
  const batches = delta(m0, m1, 'seq_batches_final_total')
  const batchTxs = delta(m0, m1, 'seq_batch_txs_sum')
  const roundCount = delta(m0, m1, 'seq_consensus_round_duration_seconds_count')
  const roundSum = delta(m0, m1, 'seq_consensus_round_duration_seconds_sum')
  const perNode: Record<string, unknown> = {}
  for (const name of names) {
    const a = win.metrics0?.get(name)
    const b = win.metrics1?.get(name)
    perNode[name] = {
      admitted_in_window: delta(a, b, 'seq_txs_admitted_total'),
      proposals: delta(a, b, 'seq_consensus_proposals_total'),
      rounds_via_qc: delta(a, b, 'seq_consensus_rounds_total', 'via="qc"'),
      rounds_via_tc: delta(a, b, 'seq_consensus_rounds_total', 'via="tc"'),
      admission_to_final_ms: {
        p50: r2(msOrNull(histogramQuantile(a, b, 'seq_tx_final_latency_seconds', 0.5))),
        p99: r2(msOrNull(histogramQuantile(a, b, 'seq_tx_final_latency_seconds', 0.99)))
      },
      rejected_total_by_code: byLabel(finalSnap.get(name), 'seq_txs_rejected_total', 'code'),
      consensus_rejected: byLabel(finalSnap.get(name), 'seq_consensus_rejected_total', 'reason'),
      chunk_fetches: byLabel(finalSnap.get(name), 'seq_chunk_fetches_total', 'result'),
      final_height: finalSnap.get(name)?.get('seq_final_height') ?? null
    }
  }
  // chunk size: every chunk reaches the n-1 other members, so packed ≈ accepted / (n-1)
  let admitted = 0
  let accepted = 0
  for (const name of names) {
    admitted += delta(win.metrics0?.get(name), win.metrics1?.get(name), 'seq_txs_admitted_total')
    accepted += delta(win.metrics0?.get(name), win.metrics1?.get(name), 'seq_chunks_received_total', 'verdict="accept"')
  }
  const chunksPacked = names.length > 1 ? accepted / (names.length - 1) : Number.NaN
  return {
    measured_on: subscriber,
    txs_admitted_per_s: r1(admitted / durationS),
    chunks_per_s: r1(chunksPacked / durationS),
    txs_per_chunk_mean: r2(chunksPacked > 0 ? admitted / chunksPacked : Number.NaN),
    batches_per_s: r1(batches / durationS),
    txs_per_batch_mean: r1(batches > 0 ? batchTxs / batches : Number.NaN),
    round_ms_mean: r2(roundCount > 0 ? roundSum / roundCount * 1000 : Number.NaN),
    members: perNode
  }
}

function summarizeRecord (label: string, target: 'sequencer' | 'etcd', members: number, rec: LoadRecord, s: RunSettings, txs: TxSet, win: Window, loadBefore: number[]): RunResult {
  const measured = (i: number): boolean => rec.isMeasured(i)
  const lat = (a: Float64Array, b: Float64Array, sample = false): number[] => {
    const out: number[] = []
    for (let i = rec.warmupCount; i < rec.mainCount; i++) {
      if (sample && Number.isNaN(rec.finalAtNode[i]!)) continue
      const v = a[i]! - b[i]!
      if (Number.isFinite(v)) out.push(v)
    }
    return out
  }
  const delivered = lat(rec.final, rec.scheduled)
  const half = Math.floor((rec.warmupCount + rec.mainCount) / 2)
  const secondHalf: number[] = []
  for (let i = half; i < rec.mainCount; i++) {
    const v = rec.final[i]! - rec.scheduled[i]!
    if (Number.isFinite(v)) secondHalf.push(v)
  }
  const samples: Record<string, number[]> = { ack: lat(rec.acked, rec.scheduled), final_delivered: delivered }
  const stages: StageSet = { ack: summarize(samples.ack!), final_delivered: summarize(delivered) }
  const refused = lat(rec.refusedAt, rec.scheduled)
  if (refused.length > 0) stages.refused = summarize(refused)
  if (target === 'sequencer') {
    samples.ack_to_final_delivered = lat(rec.final, rec.acked)
    stages.ack_to_final_delivered = summarize(samples.ack_to_final_delivered)
    const proposed = lat(rec.proposedAtNode, rec.scheduled, true)
    if (proposed.length > 0) {
      samples.proposed_at_node_sampled = proposed
      samples.final_at_node_sampled = lat(rec.finalAtNode, rec.scheduled, true)
      samples.delivered_after_node_final_sampled = lat(rec.final, rec.finalAtNode, true)
      stages.proposed_at_node_sampled = summarize(proposed)
      stages.final_at_node_sampled = summarize(samples.final_at_node_sampled)
      stages.delivered_after_node_final_sampled = summarize(samples.delivered_after_node_final_sampled)
    }
  }
  let submitted = 0; let acked = 0; let committed = 0; let lost = 0; let finalNoAck = 0; let unanswered = 0
  const warm = { submitted: 0, acknowledged: 0, committed: 0, lost: 0 }
  const rejected: Record<string, number> = {}
  let finalsInWindow = 0
  for (let i = 0; i < rec.total; i++) {
    const f = rec.final[i]!
    if (f >= rec.measureStart && f < rec.loadEnd) finalsInWindow++
    if (rec.state[i] === TxState.idle || i >= rec.mainCount) continue
    const isFinal = !Number.isNaN(f)
    const isAcked = rec.state[i] === TxState.acked
    if (!measured(i)) {
      warm.submitted++
      if (isAcked) warm.acknowledged++
      if (isFinal) warm.committed++
      if (isAcked && !isFinal) warm.lost++
      continue
    }
    submitted++
    if (isAcked) acked++
    if (isFinal) committed++
    if (isAcked && !isFinal) lost++
    if (!isAcked && isFinal) finalNoAck++
    if (rec.state[i] === TxState.inFlight) unanswered++
    const code = rec.refusedCode.get(i)
    if (code !== undefined) rejected[code] = (rejected[code] ?? 0) + 1
  }
  const cpuSeconds = win.cpu === undefined ? Number.NaN : (win.cpu.user + win.cpu.system) / 1e6
  const lag: number[] = []
  for (let i = rec.warmupCount; i < rec.mainCount; i++) {
    const v = rec.sent[i]! - rec.scheduled[i]!
    if (Number.isFinite(v)) lag.push(v)
  }
  const committedTps = finalsInWindow / s.duration
  const perRollup: RunResult['per_rollup'] = {}
  for (const [ri, rname] of s.rollups.entries()) {
    const id = ri + 1
    const latencies: number[] = []
    let sub = 0; let fin = 0; let lostR = 0
    const rej: Record<string, number> = {}
    for (let i = 0; i < rec.total; i++) {
      if (txs.rollupIds[i] !== id) continue
      const f = rec.final[i]!
      if (f >= rec.measureStart && f < rec.loadEnd) fin++
      if (!measured(i) || rec.state[i] === TxState.idle) continue
      sub++
      if (rec.state[i] === TxState.acked && Number.isNaN(f)) lostR++
      const v = f - rec.scheduled[i]!
      if (Number.isFinite(v)) latencies.push(v)
      const code = rec.refusedCode.get(i)
      if (code !== undefined) rej[code] = (rej[code] ?? 0) + 1
    }
    perRollup[rname] = { offered_tps: r1(sub / s.duration), committed_tps: r1(fin / s.duration), submitted: sub, rejected: rej, lost: lostR, latency_ms: summarize(latencies) }
  }
  return {
    label,
    target,
    members,
    rate: s.rate,
    duration_s: s.duration,
    warmup_s: s.warmup,
    offered_tps: r1(submitted / s.duration),
    committed_tps: r1(committedTps),
    payloads_per_s: r1(committedTps * txs.actions),
    latency_ms: stages.final_delivered,
    latency_ms_second_half: summarize(secondHalf),
    stages_ms: stages,
    submitted,
    acknowledged: acked,
    committed,
    rejected,
    lost,
    final_without_ack: finalNoAck,
    unanswered,
    warmup_txs: warm,
    rss_mb_max: {},
    cpu_cores: {},
    eventloop_lag_p99_ms_max: {},
    client: {
      cpu_cores: r2(cpuSeconds / s.duration),
      event_loop_utilization: r2(win.elu?.utilization ?? Number.NaN),
      schedule_lag_ms: summarize(lag),
      max_in_flight: rec.maxInFlight,
      senders: s.senders
    },
    timeline: timeline(rec, s),
    per_rollup: perRollup,
    startup_ms: 0,
    load_average_before: loadBefore,
    load_average_after: loadavg(),
    cdf: Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, cdfPoints(v, 150).map(([x, y]) => [Math.round(x * 100) / 100, Math.round(y * 1e5) / 1e5] as [number, number])]))
  }
}

function timeline (rec: LoadRecord, s: RunSettings): RunResult['timeline'] {
  const seconds = Math.ceil(s.warmup + s.duration + (s.tail?.seconds ?? 0) + s.drain)
  const offered = new Array<number>(seconds).fill(0)
  const committed = new Array<number>(seconds).fill(0)
  const lat: number[][] = Array.from({ length: seconds }, () => [])
  for (let i = 0; i < rec.total; i++) {
    const sent = rec.scheduled[i]!
    if (Number.isNaN(sent)) continue
    const si = Math.floor((sent - rec.t0) / 1000)
    if (si >= 0 && si < seconds) {
      offered[si]!++
      const l = rec.final[i]! - sent
      if (Number.isFinite(l)) lat[si]!.push(l)
    }
    const f = rec.final[i]!
    if (Number.isFinite(f)) {
      const fi = Math.floor((f - rec.t0) / 1000)
      if (fi >= 0 && fi < seconds) committed[fi]!++
    }
  }
  return offered.map((o, t) => {
    const sum = summarize(lat[t]!)
    return { t, offered: o, committed: committed[t]!, p50: sum.p50, p99: sum.p99 }
  })
}

export function loadavg (): number[] {
  return osLoadavg().map((x) => Math.round(x * 100) / 100)
}
