/**
 * A throw-away network of Linux network namespaces for partition tests: one namespace per
 * node and one "router" namespace they all hang off, joined by veth pairs, plus one veth
 * from the router to the root namespace so the test (which runs in the root namespace)
 * reaches every node's API.
 *
 *   root ns ── snl<id> 10.R.0.1/30 ══ up0 10.R.0.2/30 ── router ns (ip_forward=1)
 *                                     n<i> 10.R.<i+1>.1/24 ══ eth0 10.R.<i+1>.2/24 ── node ns i
 *
 * Why a router (layer 3) and not a bridge (layer 2): the kernel here has no sch_netem, no tc
 * classifiers and no nftables/iptables binary, but it has policy routing, so a partition is
 * a set of `ip rule ... blackhole` entries in the router namespace: packets between the two
 * sides are silently dropped in the kernel (TCP sees a dead path and retransmits), for any
 * grouping, while the root <-> node paths (the API, observation) stay up. "Cut a link"
 * (veth down) is offered too; it also cuts that node's API.
 *
 * Every object lives inside a namespace named `seqnet-<pid>-<hex>-...` (the root-side veth
 * end dies with its peer), so deleting the namespaces removes everything, and a later run
 * sweeps what a crashed run left behind by checking whether <pid> is still alive. Only the
 * lab's own addresses (10.R.0.0/16, R chosen so it overlaps no route of the root
 * namespace) are ever dialled or filtered.
 */
import { execFile, execFileSync } from 'node:child_process'
import { randomBytes, randomInt } from 'node:crypto'
import { promisify } from 'node:util'

const execFileAsync = promisify(execFile)

/** Prefix of every namespace this tool creates; the sweep only touches names with it. */
export const NETNS_PREFIX = 'seqnet-'
/** Setting this env var to anything non-empty makes the support probe fail (tests the skip path). */
export const FORCE_UNAVAILABLE_ENV = 'SEQ_NETNS_FORCE_UNAVAILABLE'
/** Rule priorities used for partitions (below `main`'s 32766, above `local`'s 0). */
const RULE_PRIORITY = 1000

export class NetnsError extends Error {
  constructor (readonly code: 'NETNS_UNAVAILABLE' | 'NETNS_COMMAND_FAILED' | 'NETNS_BAD_ARGUMENT', message: string) {
    super(message)
    this.name = 'NetnsError'
  }
}

/** Runs `ip`/`tc`/... and returns stdout; throws a NetnsError with the command's stderr. */
export async function run (cmd: string, args: string[]): Promise<string> {
  try {
    return (await execFileAsync(cmd, args, { timeout: 15_000 })).stdout
  } catch (err) {
    const e = err as { stderr?: string, message: string }
    throw new NetnsError('NETNS_COMMAND_FAILED', `${cmd} ${args.join(' ')}: ${(e.stderr ?? '').trim() || e.message}`)
  }
}

function runSync (cmd: string, args: string[]): void {
  try {
    execFileSync(cmd, args, { stdio: 'ignore', timeout: 15_000 })
  } catch { /* best effort: used on the way out only */ }
}

export type NetnsSupport = { ok: true, netem: boolean } | { ok: false, reason: string }

/**
 * Can this process create namespaces and veth pairs? Tries for real (a namespace with a
 * veth in it, removed again) and also reports whether `tc netem` works inside one.
 */
export async function probeNetnsSupport (): Promise<NetnsSupport> {
  if ((process.env[FORCE_UNAVAILABLE_ENV] ?? '') !== '') return { ok: false, reason: `${FORCE_UNAVAILABLE_ENV} is set` }
  if (process.platform !== 'linux') return { ok: false, reason: `network namespaces need Linux (this is ${process.platform})` }
  if (process.getuid?.() !== 0) return { ok: false, reason: 'network namespaces need root (run as root or with CAP_NET_ADMIN and CAP_SYS_ADMIN)' }
  try {
    await run('ip', ['-V'])
  } catch {
    return { ok: false, reason: '`ip` (iproute2) is not installed' }
  }
  const ns = `${NETNS_PREFIX}${process.pid}-${randomBytes(2).toString('hex')}-probe`
  try {
    await run('ip', ['netns', 'add', ns])
    await run('ip', ['-n', ns, 'link', 'add', 'p0', 'type', 'veth', 'peer', 'name', 'p1'])
    const netem = await run('ip', ['netns', 'exec', ns, 'tc', 'qdisc', 'add', 'dev', 'p0', 'root', 'netem', 'delay', '1ms']).then(() => true, () => false)
    return { ok: true, netem }
  } catch (err) {
    return { ok: false, reason: `cannot create a network namespace with a veth pair: ${(err as Error).message}` }
  } finally {
    await run('ip', ['netns', 'del', ns]).catch(() => {})
  }
}

function pidAlive (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * Deletes the namespaces an earlier run of this tool left behind (its pid is gone), after
 * SIGKILLing the processes still inside them (nodes that run had started). Returns the
 * names removed.
 */
export async function sweepStaleNamespaces (): Promise<string[]> {
  const removed: string[] = []
  for (const ns of await listOwnNamespaces()) {
    const owner = Number(/^seqnet-(\d+)-/.exec(ns)?.[1])
    if (!Number.isInteger(owner) || pidAlive(owner)) continue
    await killNamespacePids(ns)
    await run('ip', ['netns', 'del', ns]).then(() => removed.push(ns), () => {})
  }
  return removed
}

async function listOwnNamespaces (): Promise<string[]> {
  const out = await run('ip', ['netns', 'list']).catch(() => '')
  return out.split('\n').map((l) => l.split(' ')[0]!).filter((n) => n.startsWith(NETNS_PREFIX))
}

async function killNamespacePids (ns: string): Promise<void> {
  const out = await run('ip', ['netns', 'pids', ns]).catch(() => '')
  for (const pid of out.split('\n').map(Number).filter((p) => Number.isInteger(p) && p > 0)) {
    try { process.kill(pid, 'SIGKILL') } catch { /* gone already */ }
  }
}

/** Picks R for 10.R.0.0/16 such that no address or route of the root namespace is inside it. */
async function pickSubnet (avoid: Set<number>): Promise<number> {
  const used = new Set<number>(avoid)
  const text = (await run('ip', ['-4', 'route', 'show', 'table', 'all']).catch(() => '')) + (await run('ip', ['-4', 'addr']).catch(() => ''))
  for (const m of text.matchAll(/\b10\.(\d+)\.\d+\.\d+(?:\/(\d+))?/g)) {
    // a route wider than a /16 inside 10/8 (e.g. 10.0.0.0/8) overlaps every choice
    if (m[2] !== undefined && Number(m[2]) < 16) throw new NetnsError('NETNS_UNAVAILABLE', `the root namespace routes ${m[0]}: no private 10.R.0.0/16 is free for the lab`)
    used.add(Number(m[1]))
  }
  for (let tries = 0; tries < 200; tries++) {
    const r = randomInt(16, 251)
    if (!used.has(r)) return r
  }
  throw new NetnsError('NETNS_UNAVAILABLE', 'no free 10.R.0.0/16 range for the lab')
}

export interface LabNode {
  index: number
  /** namespace name */
  ns: string
  /** the node's address (p2p and API listen here) */
  addr: string
  /** the router-namespace end of its veth */
  routerDev: string
}

export interface LabOptions {
  nodes: number
}

/** The lab: create with `NetLab.create`, always `destroy()` (idempotent; also runs at exit). */
export class NetLab {
  readonly id: string
  readonly router: string
  /** the root namespace's address on the uplink (what nodes see as the client) */
  readonly rootAddr: string
  /** the router's address on the uplink, reachable from every node */
  readonly routerAddr: string
  readonly nodes: LabNode[]
  readonly #uplink: string
  readonly #subnet: number
  #rules: PartitionRule[] = []
  #destroyed = false

  private constructor (subnet: number, count: number) {
    const hex = randomBytes(3).toString('hex')
    this.id = `${process.pid}-${hex}`
    this.#subnet = subnet
    this.router = `${NETNS_PREFIX}${this.id}-r`
    this.#uplink = `snl${hex}`
    this.rootAddr = `10.${subnet}.0.1`
    this.routerAddr = `10.${subnet}.0.2`
    this.nodes = Array.from({ length: count }, (_, index) => ({
      index,
      ns: `${NETNS_PREFIX}${this.id}-n${index}`,
      addr: `10.${subnet}.${index + 1}.2`,
      routerDev: `n${index}`
    }))
  }

  /** Namespaces, veths, addresses, routes; everything is removed again if a step fails. */
  static async create (opts: LabOptions): Promise<NetLab> {
    if (!Number.isInteger(opts.nodes) || opts.nodes < 1 || opts.nodes > 200) throw new NetnsError('NETNS_BAD_ARGUMENT', `nodes must be 1..200, got ${opts.nodes}`)
    await sweepStaleNamespaces()
    const tried = new Set<number>()
    for (let attempt = 0; ; attempt++) {
      const lab = new NetLab(await pickSubnet(tried), opts.nodes)
      trackLab(lab)
      try {
        await lab.#build()
        return lab
      } catch (err) {
        await lab.destroy()
        // another lab took the same range between our look and our `ip route add`: try another
        if (attempt < 3 && /File exists/.test((err as Error).message)) { tried.add(lab.#subnet); continue }
        throw err
      }
    }
  }

  async #build (): Promise<void> {
    const r = this.router
    await run('ip', ['netns', 'add', r])
    await run('ip', ['-n', r, 'link', 'set', 'lo', 'up'])
    await run('ip', ['netns', 'exec', r, 'sysctl', '-qw', 'net.ipv4.ip_forward=1'])
    // uplink: root <-> router
    await run('ip', ['link', 'add', this.#uplink, 'type', 'veth', 'peer', 'name', 'up0', 'netns', r])
    await run('ip', ['addr', 'add', `${this.rootAddr}/30`, 'dev', this.#uplink])
    await run('ip', ['link', 'set', this.#uplink, 'up'])
    await run('ip', ['-n', r, 'addr', 'add', `${this.routerAddr}/30`, 'dev', 'up0'])
    await run('ip', ['-n', r, 'link', 'set', 'up0', 'up'])
    await run('ip', ['route', 'add', `10.${this.#subnet}.0.0/16`, 'via', this.routerAddr, 'dev', this.#uplink])
    for (const n of this.nodes) {
      await run('ip', ['netns', 'add', n.ns])
      await run('ip', ['-n', n.ns, 'link', 'set', 'lo', 'up'])
      await run('ip', ['-n', r, 'link', 'add', n.routerDev, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', n.ns])
      await run('ip', ['-n', r, 'addr', 'add', `10.${this.#subnet}.${n.index + 1}.1/24`, 'dev', n.routerDev])
      await run('ip', ['-n', r, 'link', 'set', n.routerDev, 'up'])
      await run('ip', ['-n', n.ns, 'addr', 'add', `${n.addr}/24`, 'dev', 'eth0'])
      await run('ip', ['-n', n.ns, 'link', 'set', 'eth0', 'up'])
      await run('ip', ['-n', n.ns, 'route', 'add', 'default', 'via', `10.${this.#subnet}.${n.index + 1}.1`])
    }
  }

  #node (index: number): LabNode {
    const n = this.nodes[index]
    if (n === undefined) throw new NetnsError('NETNS_BAD_ARGUMENT', `no node ${index} in a lab of ${this.nodes.length}`)
    return n
  }

  /** A /24 of one node: the rules match whole node links, so every address there is cut. */
  #net (index: number): string {
    return `10.${this.#subnet}.${this.#node(index).index + 1}.0/24`
  }

  /**
   * Splits the nodes into groups that cannot reach each other (both directions, silently
   * dropped); nodes in no group keep talking to everyone. Replaces any earlier partition.
   * `partition([[0], [1, 2, 3]])` isolates node 0; `partition([[0, 1], [2, 3]])` is a 2|2 split.
   * `unreachable` answers with ICMP instead of dropping, so dials fail at once (used to force
   * traffic through a relay).
   */
  async partition (groups: number[][], action: 'blackhole' | 'unreachable' = 'blackhole'): Promise<void> {
    const seen = new Set<number>()
    for (const i of groups.flat()) {
      this.#node(i)
      if (seen.has(i)) throw new NetnsError('NETNS_BAD_ARGUMENT', `node ${i} is in two groups`)
      seen.add(i)
    }
    await this.heal()
    const rules: PartitionRule[] = []
    for (const [g, group] of groups.entries()) {
      for (const other of groups.slice(g + 1)) {
        for (const a of group) {
          for (const b of other) rules.push({ from: this.#net(a), to: this.#net(b), action }, { from: this.#net(b), to: this.#net(a), action })
        }
      }
    }
    for (const rule of rules) {
      await run('ip', ['-n', this.router, 'rule', 'add', 'from', rule.from, 'to', rule.to, rule.action, 'priority', String(RULE_PRIORITY)])
      this.#rules.push(rule)
    }
    // cached routes of existing connections must not outlive the new rules
    await run('ip', ['-n', this.router, 'route', 'flush', 'cache'])
  }

  /** Cuts `nodes` off from every other node (their APIs stay reachable). */
  async isolate (nodes: number[]): Promise<void> {
    const rest = this.nodes.map((n) => n.index).filter((i) => !nodes.includes(i))
    await this.partition([nodes, rest])
  }

  /** Removes every partition rule and brings every cut link back up. */
  async heal (): Promise<void> {
    for (const rule of this.#rules.splice(0)) {
      await run('ip', ['-n', this.router, 'rule', 'del', 'from', rule.from, 'to', rule.to, rule.action, 'priority', String(RULE_PRIORITY)])
    }
    for (const n of this.nodes) await this.setLink(n.index, true)
  }

  /** Takes the node's veth down (or up): it loses everyone, including the test's view of its API. */
  async setLink (index: number, up: boolean): Promise<void> {
    await run('ip', ['-n', this.router, 'link', 'set', this.#node(index).routerDev, up ? 'up' : 'down'])
  }

  /**
   * `tc netem` on every node's egress (each packet between two nodes crosses one of them):
   * one-way delay `delayMs` +- `jitterMs`, `lossPct` % loss. Needs sch_netem in the kernel
   * (see `probeNetnsSupport().netem`); `null` removes it.
   */
  async netem (shape: LinkShape | null): Promise<void> {
    for (const n of this.nodes) {
      if (shape === null) {
        await run('ip', ['netns', 'exec', n.ns, 'tc', 'qdisc', 'del', 'dev', 'eth0', 'root']).catch(() => {})
        continue
      }
      await run('ip', ['netns', 'exec', n.ns, 'tc', 'qdisc', 'replace', 'dev', 'eth0', 'root', 'netem',
        'delay', `${shape.delayMs}ms`, `${shape.jitterMs}ms`, 'loss', `${shape.lossPct}%`])
    }
  }

  /** Describes the current partition rules (for logs). */
  rules (): string[] {
    return this.#rules.map((r) => `${r.from} -/-> ${r.to} (${r.action})`)
  }

  /** Kills whatever still runs inside the lab's namespaces, then deletes them (the veths go with them). */
  async destroy (): Promise<void> {
    if (this.#destroyed) return
    this.#destroyed = true
    untrackLab(this)
    // namespaces are torn down lazily by the kernel; the root-side end goes now, with its route
    await run('ip', ['link', 'del', this.#uplink]).catch(() => {})
    for (const ns of [...this.nodes.map((n) => n.ns), this.router]) {
      await killNamespacePids(ns)
      await run('ip', ['netns', 'del', ns]).catch(() => {})
    }
  }

  /** The same, synchronously: for `process.on('exit')` and signal handlers. */
  destroySync (): void {
    if (this.#destroyed) return
    this.#destroyed = true
    untrackLab(this)
    runSync('ip', ['link', 'del', this.#uplink])
    for (const ns of [...this.nodes.map((n) => n.ns), this.router]) {
      try {
        const pids = execFileSync('ip', ['netns', 'pids', ns], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
        for (const pid of pids.split('\n').map(Number).filter((p) => p > 0)) {
          try { process.kill(pid, 'SIGKILL') } catch { /* gone */ }
        }
      } catch { /* no such namespace */ }
      runSync('ip', ['netns', 'del', ns])
    }
  }
}

// ---------------------------------------------------------------- cleanup on the way out

const liveLabs = new Set<NetLab>()
const EXIT_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const

/** Removes every live lab synchronously; re-raises the signal if nobody else handles it. */
function onSignal (signal: NodeJS.Signals): void {
  destroyLiveLabs()
  // our handler was the only one: the default action (exit) must still happen
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal)
}

function destroyLiveLabs (): void {
  for (const lab of [...liveLabs]) lab.destroySync()
}

function trackLab (lab: NetLab): void {
  if (liveLabs.size === 0) {
    process.on('exit', destroyLiveLabs)
    for (const s of EXIT_SIGNALS) process.once(s, onSignal)
  }
  liveLabs.add(lab)
}

function untrackLab (lab: NetLab): void {
  if (!liveLabs.delete(lab) || liveLabs.size > 0) return
  process.off('exit', destroyLiveLabs)
  for (const s of EXIT_SIGNALS) process.off(s, onSignal)
}

interface PartitionRule {
  from: string
  to: string
  action: 'blackhole' | 'unreachable'
}

export interface LinkShape {
  delayMs: number
  jitterMs: number
  lossPct: number
}
