/**
 * The fault schedule of a chaos campaign, a pure function of (seed, duration): which
 * fault, on which member, how long it lasts and how long the committee runs calm before
 * it. The same seed always gives the same list, so a failing campaign is replayed with
 * `npm run chaos -- --seed N --duration S`. Targets named `leader` are resolved when the
 * fault fires (from the members' status), so the list itself holds no runtime facts.
 */
import { STORE_WRITE_PATHS, type InjectableFaultCode, type StoreWritePath } from '../src/store/index.js'
import { Prng } from '../test/sim/prng.js'

export const FaultKind = {
  /** SIGKILL the member the others name as the leader of their round; restart it later */
  killLeader: 'kill-leader',
  /** SIGKILL a seeded member; restart it later */
  killRandom: 'kill-random',
  /** SIGSTOP a seeded member, SIGCONT it later (longer than a round timeout) */
  freeze: 'freeze',
  /** SIGSTOP the current leader, SIGCONT it later */
  freezeLeader: 'freeze-leader',
  /** SIGKILL a seeded member, delete its data (chain, WAL, rollup state; key and genesis stay), restart it */
  wipe: 'wipe',
  /** SIGKILL f + 1 seeded members at once (2 of 4): no quorum, the committee must stall; restart all soon */
  quorumLoss: 'quorum-loss',
  /** everything targets[0] sends to targets[1] is dropped, the other way flows (dev control mute) */
  oneWayPartition: 'one-way-partition',
  /** park a member's store writes (an injected delay before the write and its fsync), SIGSTOP it while one is parked, SIGCONT later */
  fsyncStop: 'fsync-stop',
  /** restart a member with its clock `skewMs` off (SEQ_CLOCK_OFFSET_MS); the heal restarts it with the true time */
  clockSkew: 'clock-skew',
  /** a member's store writes of `disk.paths` fail with `disk.code` (ENOSPC, EIO) for the window; then the disk is back */
  diskFault: 'disk-fault'
} as const
export type FaultKind = typeof FaultKind[keyof typeof FaultKind]

export const ALL_FAULT_KINDS: readonly FaultKind[] = Object.values(FaultKind)

export interface PlannedFault {
  /** 1-based position in the schedule */
  seq: number
  kind: FaultKind
  /** member indexes hit; empty for the `*-leader` kinds (resolved at run time) */
  targets: number[]
  /** calm time after the previous fault healed (and its member caught up) */
  gapMs: number
  /** how long the fault lasts before it is healed */
  downMs: number
  /** clock-skew: the member's clock offset, +-10 s */
  skewMs?: number
  /** disk-fault: which store writes fail and how */
  disk?: { paths: StoreWritePath[], code: InjectableFaultCode }
}

export interface ScheduleOptions {
  seed: number
  durationMs: number
  nodes: number
  /** the members' first round timeout: freezes last at least twice this, so views change */
  baseTimeoutMs: number
  /** only these kinds (default: all); a given list keeps the schedule's shape for them */
  kinds?: readonly FaultKind[]
}

/** Relative weights after the first round of kinds; f + 1 faults stay rare and short. */
const WEIGHTS: Record<FaultKind, number> = {
  'kill-leader': 5,
  'kill-random': 4,
  freeze: 3,
  'freeze-leader': 3,
  wipe: 3,
  'quorum-loss': 2,
  'one-way-partition': 3,
  'fsync-stop': 3,
  'clock-skew': 2,
  'disk-fault': 3
}

/** The disk faults tried: all paths (a full disk), the consensus paths only, the WAL only. */
const DISK_PATHS: ReadonlyArray<StoreWritePath[]> = [[...STORE_WRITE_PATHS], ['safety', 'final', 'pending'], ['wal']]
const SKEW_MS = 10_000

/**
 * The least time a heal takes (process start through tsx, catch-up), for planning only: the
 * plan is an upper bound, and the runner stops at the duration, so a slow machine runs a
 * prefix of it and a fast one never runs out of faults.
 */
const PLANNED_RECOVERY_MS = 1000

export function planFaults (opts: ScheduleOptions): PlannedFault[] {
  const rng = new Prng(opts.seed)
  // Every kind once, in a seeded order, so a short campaign still tries each; then weighted picks.
  const kinds = opts.kinds ?? ALL_FAULT_KINDS
  const firstRound = rng.shuffle([...kinds])
  const faults: PlannedFault[] = []
  const minFreezeMs = Math.max(2000, 2 * opts.baseTimeoutMs)
  for (let planned = 0, seq = 1; ; seq++) {
    const kind = seq <= firstRound.length ? firstRound[seq - 1]! : weightedPick(rng, kinds)
    const gapMs = rng.int(2000, 6000)
    let downMs: number
    let targets: number[] = []
    switch (kind) {
      case 'kill-leader':
      case 'kill-random':
        downMs = rng.int(1000, 6000)
        break
      case 'freeze':
      case 'freeze-leader':
        downMs = rng.int(minFreezeMs, minFreezeMs + 5000)
        break
      case 'wipe':
        downMs = rng.int(500, 3000)
        break
      case 'quorum-loss':
        downMs = rng.int(1500, 4000)
        break
      case 'one-way-partition':
      case 'disk-fault':
        downMs = rng.int(minFreezeMs, minFreezeMs + 4000)
        break
      case 'fsync-stop':
        downMs = rng.int(minFreezeMs, minFreezeMs + 3000)
        break
      case 'clock-skew':
        downMs = rng.int(4000, 8000)
        break
    }
    const extra: Pick<PlannedFault, 'skewMs' | 'disk'> = {}
    if (kind === 'kill-random' || kind === 'freeze' || kind === 'wipe' || kind === 'fsync-stop' || kind === 'clock-skew' || kind === 'disk-fault') targets = [rng.int(0, opts.nodes - 1)]
    if (kind === 'one-way-partition') targets = rng.shuffle(Array.from({ length: opts.nodes }, (_, i) => i)).slice(0, 2)
    if (kind === 'clock-skew') extra.skewMs = rng.int(0, 1) === 0 ? SKEW_MS : -SKEW_MS
    if (kind === 'disk-fault') extra.disk = { paths: [...rng.pick(DISK_PATHS)], code: rng.int(0, 1) === 0 ? 'ENOSPC' : 'EIO' }
    if (kind === 'quorum-loss') targets = rng.shuffle(Array.from({ length: opts.nodes }, (_, i) => i)).slice(0, maxFaulty(opts.nodes) + 1).sort((a, b) => a - b)
    planned += gapMs + downMs + PLANNED_RECOVERY_MS
    if (planned > opts.durationMs && faults.length > 0) break
    faults.push({ seq, kind, targets, gapMs, downMs, ...extra })
    if (planned > opts.durationMs) break
  }
  return faults
}

/** f of a committee of n = 3f + 1 (or more) */
export function maxFaulty (nodes: number): number {
  return Math.floor((nodes - 1) / 3)
}

function weightedPick (rng: Prng, kinds: readonly FaultKind[]): FaultKind {
  const total = kinds.reduce((sum, k) => sum + WEIGHTS[k], 0)
  let draw = rng.float() * total
  for (const kind of kinds) {
    draw -= WEIGHTS[kind]
    if (draw < 0) return kind
  }
  return kinds[kinds.length - 1]!
}

/** Parses `--faults a,b`: known kinds only, at least one; in the canonical order, so the order typed does not change the schedule. */
export function parseFaultKinds (list: string): FaultKind[] {
  const given = new Set(list.split(',').map((k) => k.trim()).filter((k) => k !== ''))
  const unknown = [...given].filter((k) => !(ALL_FAULT_KINDS as readonly string[]).includes(k))
  if (unknown.length > 0 || given.size === 0) throw new Error(`unknown fault kinds: ${unknown.join(', ') || '(none given)'}; known: ${ALL_FAULT_KINDS.join(', ')}`)
  return ALL_FAULT_KINDS.filter((k) => given.has(k))
}

export function describeFault (f: PlannedFault): string {
  const who = f.targets.length === 0
    ? 'the leader'
    : f.kind === 'one-way-partition' ? `node-${f.targets[0]} -> node-${f.targets[1]} dropped` : f.targets.map((t) => `node-${t}`).join(' + ')
  const what = f.skewMs !== undefined ? ` clock ${f.skewMs > 0 ? '+' : ''}${f.skewMs / 1000} s` : f.disk !== undefined ? ` ${f.disk.code} on ${f.disk.paths.join('/')}` : ''
  return `#${f.seq} ${f.kind} ${who}${what} for ${(f.downMs / 1000).toFixed(1)} s after ${(f.gapMs / 1000).toFixed(1)} s calm`
}
