/**
 * `npm run bench -- [flags]`: the ordering-latency benchmark. Starts its own committee
 * (the devnet's `initHome` + `startNodeProcess`), drives open-loop load through the
 * public API with the SDK (pre-signed txs, keep-alive HTTP, verified slice streams) and
 * measures per tx, on the client clock, submit -> acknowledged -> final slice delivered
 * (plus sampled node-side stages). Optional baselines run with the same generator and
 * txs: a one-member committee (`single`) or a 3-member etcd cluster as an ordered log
 * (`etcd`). Writes DIR/result.json, DIR/report.md and SVG plots. See bench/README.md.
 */
import { Command, InvalidArgumentError, Option } from 'commander'
import { cpus, platform, release } from 'node:os'
import { resolve } from 'node:path'
import { runAb } from './lib/ab.js'
import { installSignalHandlers, runCleanups, wasInterrupted } from './lib/cleanup.js'
import { ETCD_INSTALL_HINT, etcdVersion } from './lib/etcd.js'
import { rerender, writeOutput, type BenchOutput } from './lib/report.js'
import { CHAIN_ID, loadavg, runOne, type Fault, type RunSettings, type RunSpec } from './lib/run.js'
import { tailCount } from './lib/recovery.js'
import { presignTxs, weightedPattern } from './lib/txgen.js'
import { followerScenarioPlan, type FollowerScenario } from './lib/follower-scenarios.js'

const int = (min: number) => (v: string): number => {
  const n = Number(v)
  if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`must be an integer >= ${min}`)
  return n
}
const num = (min: number) => (v: string): number => {
  const n = Number(v)
  if (!Number.isFinite(n) || n < min) throw new InvalidArgumentError(`must be a number >= ${min}`)
  return n
}
const rateList = (v: string): number[] => v.split(',').map((x) => {
  const n = Number(x.trim())
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`bad rate "${x}"`)
  return n
})

function parseJsonObject (v: string): Record<string, unknown> {
  let parsed: unknown
  try {
    parsed = JSON.parse(v)
  } catch (err) {
    throw new InvalidArgumentError(`not JSON: ${(err as Error).message}`)
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new InvalidArgumentError('must be a JSON object')
  return parsed as Record<string, unknown>
}

const program = new Command()
  .name('npm run bench --')
  .description('Ordering latency of a sequencer committee under open-loop load (submit -> ack -> final slice delivered), with optional single-node and etcd baselines.')
  .option('--nodes <n>', 'committee size', int(1), 4)
  .option('--rate <tps>', 'offered load, txs per second (open loop)', num(0.1), 1000)
  .option('--duration <s>', 'measured seconds', num(1), 20)
  .option('--warmup <s>', 'seconds of load before the measured window (not measured)', num(0), 3)
  .option('--drain <s>', 'after the load, wait at most this long for acknowledged txs to become final', num(0), 10)
  .option('--actions <k>', 'payloads per signed tx (one rollup per tx)', int(1), 1)
  .option('--payload <bytes>', 'bytes per payload', int(1), 256)
  .option('--rollups <list>', 'rollups of the genesis; txs alternate between them', 'token,kv')
  .addOption(new Option('--payload-kind <kind>', 'random bytes (the toy rollups record failed receipts) or valid kv sets for kv').choices(['random', 'valid']).default('random'))
  .addOption(new Option('--rollup-exec <on|off>', 'whether the members run the in-process toy rollups (as the devnet does)').choices(['on', 'off']).default('on'))
  .addOption(new Option('--follower-rollups <on|off>', 'whether the followers run the in-process toy rollups too (default: as --rollup-exec); off: they only verify, store and serve').choices(['on', 'off']))
  .option('--sweep <rates>', 'one run per rate, e.g. 500,1000,2000 (overrides --rate)', rateList)
  .addOption(new Option('--baseline <kind>', 'baseline run with the same load: etcd (3-member cluster via the v3 JSON gateway), single (a one-member committee), none').choices(['etcd', 'single', 'none']).default('none'))
  .option('--out <dir>', 'output folder (default bench/results/<timestamp>)')
  .option('--senders <k>', 'signing keys = keep-alive HTTP connections (one request in flight each), spread over the members', int(1), 128)
  .option('--batch <k>', 'sequencer runs: up to K txs per POST /v1/txs/batch request (each sender sends the txs due while its last request was in flight together); 0 = one request per tx. Use with fewer --senders, e.g. --senders 16 --batch 256', int(0), 0)
  .addOption(new Option('--verifier <kind>', 'slice verification in the client: node (the node\'s checks with node:crypto) or noble (the SDK\'s createVerifier)').choices(['node', 'noble']).default('node'))
  .option('--poll-sample <tps>', 'txs per second whose node-side stages (proposed, final) are polled via GET /v1/txs/:hash; 0 = off', num(0), 5)
  .option('--subscribe-member <i>', 'member whose slice streams (and tx status) are followed', int(0), 0)
  .option('--followers <k>', 'followers (non-voting nodes on the members\' public network) started next to the committee', int(0), 0)
  .addOption(new Option('--submit-via <path>', 'send the load through the members\' APIs or the followers\' (senders round-robin over them), or split: even senders to the members, odd ones to follower-0, each path measured on its own stream (same run)').choices(['members', 'followers', 'split']).default('members'))
  .addOption(new Option('--subscribe-via <path>', 'follow the slice streams of a member (--subscribe-member) or of follower 0').choices(['member', 'follower']).default('member'))
  .addOption(new Option('--scenario <name>', 'a healthy run, then the same load with a fault: member-down (SIGKILL one member after the warm-up), leader-crash (kill -9 the leader every --crash-every s, restart it at once), flood (first rollup offered --flood-factor x its share, the others at --flood-rate tx/s), slow-member (SIGSTOP one member for --pause-ms every --pause-every-ms), clock-skew (one member\'s clock --skew-ms off, SEQ_CLOCK_OFFSET_MS), followers-stream and follower-flood (bench/lib/follower-scenarios.ts), overload (a peak run at --rate for --peak-duration s, then --overload-factor x its committed tx/s for --duration s, then half the peak for --recovery s: committed vs peak, refusals by code, accepted p99, lost, time back to normal latency)').choices(['member-down', 'leader-crash', 'flood', 'slow-member', 'clock-skew', 'followers-stream', 'follower-flood', 'overload']))
  .option('--overload-factor <x>', 'overload: offered load as a multiple of the peak run\'s committed tx/s', num(1), 2)
  .option('--overload-rate <tps>', 'overload: offered tx/s of the overload run, in place of --overload-factor x the peak (the same load for both sides of an --ab)', num(1))
  .option('--peak-duration <s>', 'overload: measured seconds of the peak run', num(1), 15)
  .option('--recovery <s>', 'overload: seconds at half the peak after the overload (how fast latency comes back)', num(1), 10)
  .option('--fault-member <i>', 'member-down, slow-member, clock-skew: the member it hits (not the subscriber\'s)', int(0), 1)
  .option('--pause-ms <ms>', 'slow-member: how long each SIGSTOP lasts', int(1), 200)
  .option('--pause-every-ms <ms>', 'slow-member: one pause per this many ms', int(1), 1000)
  .option('--skew-ms <ms>', 'clock-skew: the member\'s clock offset (negative: behind)', (v: string) => { const n = Number(v); if (!Number.isSafeInteger(n)) throw new Error(`--skew-ms: a whole number of ms, got ${v}`); return n }, 10_000)
  .option('--crash-every <s>', 'leader-crash: seconds between kills', num(1), 10)
  .option('--flood-rate <tps>', 'flood: offered tx/s of every rollup but the first (its fair share; the healthy run offers this to every rollup)', num(0.1), 100)
  .option('--flood-factor <x>', 'flood: the first rollup is offered this many times its fair share', int(1), 10)
  .option('--lane-rate <tps>', 'flood: each member\'s mempool.laneRateTxPerSec in both runs (0 = no lane rate); default: 1.25 x every rollup\'s fair share, 1.25 x flood-rate x rollups / nodes', num(0))
  .option('--cpu-prof <member>', 'run this member under node --cpu-prof (profile in DIR/profiles/)', int(0))
  .option('--flood-txs <tps>', 'follower-flood: invalid txs per second the rogue public peer sends', num(1), 20_000)
  .option('--cpu-prof-follower <k>', 'run follower K under node --cpu-prof (profile in DIR/profiles/)', int(0))
  .option('--node-config <json>', 'JSON merged into every member\'s config.json, e.g. \'{"consensus":{"chunkDelayMs":10}}\'', parseJsonObject)
  .option('--keep', 'keep the temp data folders of nodes and etcd', false)
  .option('--rerender <dir>', 'only rebuild DIR/report.md and the plots from DIR/result.json')
  .option('--ab <git-ref>', 'A/B: run the same bench against the node of <git-ref> (A, a temp git worktree) and of this tree (B), back to back; DIR/ab.json and DIR/report.md give medians and ratios B/A')
  .option('--ab-b <git-ref>', 'with --ab: B from a checkout of this ref too, instead of this tree as it is')
  .option('--repeat <n>', 'with --ab: pairs to run, alternating A B A B ...', int(1), 1)
  .addOption(new Option('--node-tree <dir>', 'run the members from this checkout (used by --ab)').hideHelp())
  .addHelpText('after', `
Examples:
  npm run bench -- --rate 1000 --duration 20 --baseline etcd
  npm run bench -- --sweep 250,500,1000,2000 --duration 10
  npm run bench -- --nodes 4 --rate 50 --duration 3 --warmup 1 --out /tmp/b
  npm run bench -- --ab main --repeat 2 --rate 1000 --duration 15
  npm run bench -- --followers 2 --submit-via followers --subscribe-via follower --rate 500
  npm run bench -- --scenario member-down --rate 200 --duration 15
  npm run bench -- --scenario flood --flood-rate 100 --flood-factor 10 --duration 15
  npm run bench -- --scenario overload --rate 4000 --senders 16 --batch 256 --rollup-exec off --duration 30`)

interface Opts {
  nodes: number, rate: number, duration: number, warmup: number, drain: number, actions: number, payload: number, rollups: string
  payloadKind: 'random' | 'valid', rollupExec: 'on' | 'off', followerRollups?: 'on' | 'off'
  sweep?: number[], baseline: 'etcd' | 'single' | 'none', out?: string, senders: number, batch: number, verifier: 'node' | 'noble', pollSample: number
  subscribeMember: number, cpuProf?: number, cpuProfFollower?: number, keep: boolean, nodeConfig?: Record<string, unknown>, rerender?: string
  ab?: string, abB?: string, repeat: number, nodeTree?: string
  followers: number, submitVia: 'members' | 'followers' | 'split', subscribeVia: 'member' | 'follower'
  floodTxs: number
  scenario?: 'member-down' | 'leader-crash' | 'flood' | 'slow-member' | 'clock-skew' | 'overload' | FollowerScenario, overloadFactor: number, overloadRate?: number, peakDuration: number, recovery: number, faultMember: number, crashEvery: number, floodRate: number, floodFactor: number, laneRate?: number, pauseMs: number, pauseEveryMs: number, skewMs: number
}

/** One run of the plan: what it targets, at which rate, with which mix of rollups. */
/** `overload`: the rate is `factor` x the committed tx/s of the run before it, followed by a tail at half that run's (bench/lib/recovery.ts) */
interface Planned { spec: RunSpec, rate: number, weights?: number[], duration?: number, overload?: { factor: number, rate?: number, recoveryS: number } }

/** The command line without the given options (and their values), for the A/B child runs. */
function argsWithout (argv: string[], options: string[]): string[] {
  const out: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!
    if (options.includes(a)) { i++; continue }
    if (options.some((o) => a.startsWith(`${o}=`))) continue
    out.push(a)
  }
  return out
}

async function main (): Promise<number> {
  program.parse()
  const o = program.opts<Opts>()
  if (o.rerender !== undefined) {
    await rerender(resolve(o.rerender))
    process.stderr.write(`bench: rebuilt ${resolve(o.rerender)}/report.md and plots\n`)
    return 0
  }
  installSignalHandlers()
  if (o.ab !== undefined) {
    const stamp = new Date().toISOString().replace(/[:.]/g, '-').replace(/Z$/, '')
    try {
      return await runAb({ ref: o.ab, ...(o.abB !== undefined ? { refB: o.abB } : {}), repeat: o.repeat, outDir: resolve(o.out ?? `bench/results/${stamp}-ab`), args: argsWithout(process.argv.slice(2), ['--ab', '--ab-b', '--repeat', '--out']) })
    } finally {
      await runCleanups()
    }
  }
  const rollups = o.rollups.split(',').map((x) => x.trim()).filter((x) => x.length > 0)
  if (rollups.length === 0) throw new Error('--rollups needs at least one rollup')
  if (o.actions > 1024) throw new Error('--actions: the wire format allows at most 1024 actions per tx') // over 16, the bench's genesis raises maxActionsPerTx
  if (o.payload > 64 * 1024) throw new Error('--payload: the default genesis allows at most 65536 bytes per payload')
  const stamp = new Date().toISOString().replace(/[:.]/g, '-').replace(/Z$/, '')
  const outDir = resolve(o.out ?? `bench/results/${stamp}`)
  const rates = o.sweep ?? [o.rate]
  const sweep = o.sweep !== undefined
  const notes: string[] = []
  let etcd: string | null = etcdVersion()
  if ((o.submitVia !== 'members' || o.subscribeVia === 'follower') && o.followers === 0) throw new Error('--submit-via followers|split / --subscribe-via follower need --followers K (K >= 1)')
  const specs: RunSpec[] = [{ kind: 'sequencer', nodes: o.nodes, label: `sequencer-${o.nodes}` }]
  if (o.baseline === 'single') specs.push({ kind: 'sequencer', nodes: 1, label: 'single-1' })
  if (o.baseline === 'etcd') {
    if (etcd === null) {
      process.stderr.write(`bench: ${ETCD_INSTALL_HINT}; skipping the etcd baseline\n`)
      notes.push(`etcd baseline skipped: ${ETCD_INSTALL_HINT}`)
    } else {
      specs.push({ kind: 'etcd', members: 3, label: 'etcd-3' })
    }
  }
  if (o.baseline !== 'etcd') etcd = null
  let plan: Planned[] = rates.flatMap((rate) => specs.map((spec) => ({ spec, rate })))
  if (o.scenario !== undefined) {
    if (sweep || o.baseline !== 'none') throw new Error('--scenario runs a healthy run and the scenario: it does not combine with --sweep or --baseline')
    const healthy: RunSpec = { kind: 'sequencer', nodes: o.nodes, label: 'healthy' }
    if (o.scenario === 'followers-stream' || o.scenario === 'follower-flood') {
      const { runs, note } = followerScenarioPlan(o.scenario, o)
      plan = runs.map((spec) => ({ spec, rate: o.rate }))
      notes.push(note)
    } else if (o.scenario === 'overload') {
      plan = [
        { spec: { kind: 'sequencer', nodes: o.nodes, label: 'peak' }, rate: o.rate, duration: o.peakDuration },
        { spec: { kind: 'sequencer', nodes: o.nodes, label: 'overload' }, rate: 0, overload: { factor: o.overloadFactor, ...(o.overloadRate !== undefined ? { rate: o.overloadRate } : {}), recoveryS: o.recovery } }
      ]
      notes.push(`overload: a peak run at ${o.rate} tx/s offered for ${o.peakDuration} s, then (on a fresh committee) ${o.overloadRate !== undefined ? `${o.overloadRate} tx/s` : `${o.overloadFactor}x the peak run's committed tx/s`} for ${o.duration} s, then half the peak's committed tx/s for ${o.recovery} s (the tail: result.recovery). Goal (issue #11, 4): committed >= 90 % of the peak, the excess refused at once (503 OVERLOADED / 429), accepted p99 <= 1 s, lost 0, latency normal within 5 s after`)
    } else if (o.scenario === 'flood') {
      if (rollups.length < 2) throw new Error('--scenario flood needs two rollups or more (--rollups A,B)')
      // the members' lane rate (both runs, one config): a rollup may send 1.25x its fair share
      // (at 2x, the flood's extra admitted load alone slowed the rounds 5x on this machine)
      const laneRate = o.laneRate ?? 1.25 * o.floodRate * rollups.length / o.nodes
      const userMempool = (o.nodeConfig?.mempool ?? {}) as Record<string, unknown>
      o.nodeConfig = { ...o.nodeConfig, mempool: { laneRateTxPerSec: laneRate, ...userMempool } }
      const fair = rollups.map(() => 1)
      const flood = rollups.map((_, i) => i === 0 ? o.floodFactor : 1)
      plan = [
        { spec: healthy, rate: o.floodRate * rollups.length, weights: fair },
        { spec: { kind: 'sequencer', nodes: o.nodes, label: 'flood' }, rate: o.floodRate * (o.floodFactor + rollups.length - 1), weights: flood }
      ]
      notes.push(`flood: ${rollups[0]} is offered ${o.floodFactor}x its fair share (${o.floodRate * o.floodFactor} tx/s) while ${rollups.slice(1).join(', ')} run at ${o.floodRate} tx/s each; the healthy run offers ${o.floodRate} tx/s to every rollup (--rate is not used); members run with mempool.laneRateTxPerSec ${String((o.nodeConfig.mempool as Record<string, unknown>).laneRateTxPerSec)} (split by weight: each rollup's tx/s per member)`)
    } else {
      if (o.scenario !== 'leader-crash' && (o.faultMember >= o.nodes || (o.subscribeVia === 'member' && o.faultMember === o.subscribeMember))) throw new Error(`--fault-member ${o.faultMember}: must be a member (< ${o.nodes}) other than the subscriber's`)
      if (o.nodes < 4) notes.push(`${o.scenario} with ${o.nodes} members: a quorum may not survive the fault`)
      if (o.scenario === 'slow-member' && o.pauseMs >= o.pauseEveryMs) throw new Error('--pause-ms must be below --pause-every-ms')
      const fault: Fault = o.scenario === 'member-down'
        ? { kind: 'member-down', member: o.faultMember }
        : o.scenario === 'slow-member'
          ? { kind: 'slow-member', member: o.faultMember, pauseMs: o.pauseMs, everyMs: o.pauseEveryMs }
          : o.scenario === 'clock-skew'
            ? { kind: 'clock-skew', member: o.faultMember, offsetMs: o.skewMs }
            : { kind: 'leader-crash', everyS: o.crashEvery }
      plan = [{ spec: healthy, rate: o.rate }, { spec: { kind: 'sequencer', nodes: o.nodes, label: o.scenario, fault }, rate: o.rate }]
      notes.push(o.scenario === 'slow-member'
        ? `slow-member: member ${o.faultMember}'s process gets SIGSTOP for ${o.pauseMs} ms every ${o.pauseEveryMs} ms (then SIGCONT) from the start of the measured window to the end of the load; its senders keep posting to it`
        : o.scenario === 'clock-skew'
          ? `clock-skew: member ${o.faultMember} runs with its clock ${o.skewMs} ms ${o.skewMs >= 0 ? 'ahead' : 'behind'} (SEQ_CLOCK_OFFSET_MS) from its start; fault.events reports its /v1/status clock at the end of the load`
          : o.scenario === 'member-down'
        ? `member-down: member ${o.faultMember} gets SIGKILL when the measured window starts (after the ${o.warmup} s warm-up) and stays down; senders of that member post to the next live one`
        : `leader-crash: every ${o.crashEvery} s from the start of the measured window, the leader named by a live member's /v1/status gets SIGKILL and is restarted at once from its folder (same ports); its senders post to the next live member meanwhile; efficiency figures are left out (restarted counters)`)
    }
  }
  const output: BenchOutput = {
    command: `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim(),
    date: new Date().toISOString(),
    config: { followers: o.followers, submit_via: o.submitVia, subscribe_via: o.subscribeVia, scenario: o.scenario ?? null, ...(o.scenario === 'member-down' ? { fault_member: o.faultMember } : {}), ...(o.scenario === 'leader-crash' ? { crash_every_s: o.crashEvery } : {}), ...(o.scenario === 'slow-member' ? { fault_member: o.faultMember, pause_ms: o.pauseMs, pause_every_ms: o.pauseEveryMs } : {}), ...(o.scenario === 'clock-skew' ? { fault_member: o.faultMember, skew_ms: o.skewMs } : {}), ...(o.scenario === 'flood' ? { flood_rate: o.floodRate, flood_factor: o.floodFactor } : {}), ...(o.scenario === 'overload' ? { overload_factor: o.overloadFactor, overload_rate: o.overloadRate ?? null, peak_duration: o.peakDuration, recovery: o.recovery } : {}), nodes: o.nodes, rate: o.rate, sweep: o.sweep ?? null, duration: o.duration, warmup: o.warmup, drain: o.drain, actions: o.actions, payload: o.payload, rollups: rollups.join(','), payload_kind: o.payloadKind, rollup_exec: o.rollupExec, follower_rollups: o.followerRollups ?? o.rollupExec, node_config: o.nodeConfig ?? null, baseline: o.baseline, senders: o.senders, batch: o.batch, verifier: o.verifier, poll_sample: o.pollSample, subscribe_member: o.subscribeMember, cpu_prof: o.cpuProf ?? null, node_tree: o.nodeTree ?? null, out: outDir },
    host: { cpu_model: cpus()[0]?.model ?? 'unknown', cores: cpus().length, node: process.version, platform: `${platform()} ${release()}`, etcd },
    load_average_before: loadavg(),
    runs: [],
    notes,
    sweep
  }
  process.stderr.write(`bench: results in ${outDir}; load average ${output.load_average_before.join(' ')}\n`)
  let failed = false
  try {
    // a scenario profiles its faulted run (the last), otherwise the first run
    const profiledLabel = plan[o.scenario !== undefined ? plan.length - 1 : 0]!.spec.label
    const signedSets = new Map<string, { txs: ReturnType<typeof presignTxs>, hashIndex: Map<string, number> }>()
    for (const planned of plan) {
      const { spec, weights, overload } = planned
      const duration = planned.duration ?? o.duration
      let rate = planned.rate
      let tail: RunSettings['tail']
      if (overload !== undefined) {
        const peak = output.runs.at(-1)
        if (peak === undefined || peak.committed_tps === null || peak.committed_tps <= 0) {
          notes.push(`${spec.label}: skipped, the peak run measured no committed throughput`)
          break
        }
        rate = overload.rate ?? Math.round(overload.factor * peak.committed_tps)
        tail = { rate: Math.round(peak.committed_tps / 2), seconds: overload.recoveryS }
      }
      // the same txs for every run at the same rate and rollup mix (signed once)
      const key = `${rate}/${duration}/${tail?.rate ?? 0}/${weights?.join(',') ?? ''}`
      let signed = signedSets.get(key)
      if (signed === undefined) {
        signedSets.clear() // one set in memory at a time
        const total = Math.round(rate * (o.warmup + duration)) + (tail === undefined ? 0 : tailCount(tail))
        const t0 = performance.now()
        const txs = presignTxs({
          chainId: CHAIN_ID,
          count: total,
          senders: o.senders,
          rollups: rollups.map((name, i) => ({ id: i + 1, name })),
          actions: o.actions,
          payloadBytes: o.payload,
          payloadKind: o.payloadKind,
          ...(weights !== undefined ? { rollupOf: weightedPattern(weights) } : {})
        })
        const hashIndex = new Map<string, number>()
        txs.hashes.forEach((h, i) => hashIndex.set(h, i))
        process.stderr.write(`bench: signed ${total} txs (mean ${txs.meanTxBytes.toFixed(0)} B) in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`)
        signed = { txs, hashIndex }
        signedSets.set(key, signed)
      }
      const { txs, hashIndex } = signed
      {
        if (wasInterrupted()) throw new Error('interrupted')
        const ac = new AbortController()
        // a hard bound on one run: start-up, load, drain and stopping
        const boundMs = (120 + o.warmup + duration + (tail?.seconds ?? 0) + o.drain + 30) * 1000
        const watchdog = setTimeout(() => ac.abort(), boundMs)
        const settings: RunSettings = {
          rate, duration, warmup: o.warmup, ...(tail !== undefined ? { tail } : {}), drain: o.drain, senders: o.senders, batch: o.batch, actions: o.actions, payloadBytes: o.payload,
          // both runs of the flood scenario post the first rollup's txs from a worker thread (bench/lib/worker-target.ts)
          ...(o.scenario === 'flood' ? { workerRollup: rollups[0] } : {}),
          followers: spec.kind === 'sequencer' && spec.nodes === o.nodes ? o.followers : 0,
          submitVia: spec.kind === 'sequencer' && spec.nodes === o.nodes ? o.submitVia : 'members',
          subscribeVia: spec.kind === 'sequencer' && spec.nodes === o.nodes ? o.subscribeVia : 'member',
          rollups, verifier: o.verifier, rollupExec: o.rollupExec === 'on', ...(o.followerRollups !== undefined ? { followerRollups: o.followerRollups === 'on' } : {}), nodeConfig: o.nodeConfig, pollSample: o.pollSample, subscribeMember: o.subscribeMember, runDir: outDir, keep: o.keep,
          cpuProfMember: spec.kind === 'sequencer' && spec.label === profiledLabel ? o.cpuProf : undefined,
          cpuProfFollower: spec.kind === 'sequencer' && spec.label === profiledLabel ? o.cpuProfFollower : undefined,
          ...(o.nodeTree !== undefined ? { nodeTree: resolve(o.nodeTree) } : {}),
          signal: ac.signal
        }
        process.stderr.write(`bench: ${spec.label} at ${rate} tx/s: starting\n`)
        try {
          const result = await runOne(spec, txs, hashIndex, settings)
          output.runs.push(result)
          process.stderr.write(`bench: ${spec.label} at ${rate} tx/s: committed ${result.committed_tps} tx/s, p50 ${result.latency_ms.p50} ms, p99 ${result.latency_ms.p99} ms, lost ${result.lost}${result.error === undefined ? '' : `, ${result.error}`}\n`)
          if (result.error !== undefined || result.lost > 0) failed = failed || spec === plan[0]!.spec
        } catch (err) {
          const message = ac.signal.aborted && !wasInterrupted() ? `run exceeded its time bound of ${boundMs / 1000} s` : (err as Error).message
          process.stderr.write(`bench: ${spec.label} at ${rate} tx/s failed: ${message}\n`)
          notes.push(`${spec.label} at ${rate} tx/s failed: ${message}`)
          if (spec === plan[0]!.spec) failed = true
          if (wasInterrupted()) throw err
        } finally {
          clearTimeout(watchdog)
        }
      }
    }
  } finally {
    await runCleanups()
    if (output.runs.length > 0 || notes.length > 0) {
      await writeOutput(outDir, output)
      process.stderr.write(`bench: wrote ${outDir}/result.json and report.md\n`)
    }
  }
  return failed ? 1 : 0
}

main().then((code) => process.exit(code), async (err: Error) => {
  process.stderr.write(`bench: ${err.message}\n`)
  await runCleanups()
  process.exit(wasInterrupted() ? 130 : 1)
})
