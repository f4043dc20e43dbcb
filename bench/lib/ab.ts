/**
 * `npm run bench -- --ab <git-ref> [--repeat N] ...`: the same bench against another
 * commit's node and against this tree's, back to back and alternating (A1 B1 A2 B2 ...),
 * because this VM's speed drifts by up to 2x over a day (STACK-NOTES): two versions are only
 * comparable inside one A/B pair.
 *
 * A = the ref, checked out with `git worktree add --detach` into a temp folder whose
 * node_modules is a symlink to this tree's; B = this tree as it is (uncommitted changes
 * included), or with `--ab-b <ref>` a second such checkout. Each run is a child bench process
 * of this tree (same load generator, same measurements, same txs for the same flags) with
 * `--node-tree` naming the checkout whose initHome and node it starts; the node runs
 * from an esbuild bundle of that checkout, built by its own devnet helper. Writes
 * DIR/A1, DIR/B1, ... (each a normal bench folder) and DIR/ab.json + DIR/report.md with
 * the medians per side and the ratios B/A.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { onCleanup, trackChild, wasInterrupted } from './cleanup.js'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))

export interface AbOptions {
  ref: string
  /** B from a checkout of this ref too (default: this tree as it is, uncommitted changes included) */
  refB?: string
  repeat: number
  outDir: string
  /** the bench flags of every run (without --ab, --repeat, --out) */
  args: string[]
}

interface Side { name: 'A' | 'B', tree: string | undefined, label: string }

/** Figures compared, as paths into result.json; `lower` = lower is better. */
const FIGURES: Array<{ key: string, get: (r: any) => unknown, lower: boolean }> = [
  { key: 'committed_tps', get: (r) => r.committed_tps, lower: false },
  { key: 'latency_p50_ms', get: (r) => r.latency_ms?.p50, lower: true },
  { key: 'latency_p90_ms', get: (r) => r.latency_ms?.p90, lower: true },
  { key: 'latency_p99_ms', get: (r) => r.latency_ms?.p99, lower: true },
  { key: 'ack_p50_ms', get: (r) => r.stages_ms?.ack?.p50, lower: true },
  { key: 'lost', get: (r) => r.lost, lower: true },
  { key: 'round_ms_mean', get: (r) => r.runs?.[0]?.node_metrics?.round_ms_mean, lower: true },
  { key: 'txs_per_chunk_mean', get: (r) => r.runs?.[0]?.node_metrics?.txs_per_chunk_mean, lower: false },
  { key: 'rounds_per_s', get: (r) => r.runs?.[0]?.efficiency?.rounds_per_s, lower: false },
  { key: 'txs_per_round', get: (r) => r.runs?.[0]?.efficiency?.txs_per_round, lower: false },
  { key: 'committee_cpu_us_per_round', get: (r) => r.runs?.[0]?.efficiency?.committee?.cpu_us_per_round, lower: true },
  { key: 'committee_cpu_us_per_final_tx', get: (r) => r.runs?.[0]?.efficiency?.committee?.cpu_us_per_final_tx, lower: true },
  { key: 'member0_fsyncs_per_round', get: (r) => firstMember(r)?.fsyncs_per_round, lower: true },
  ...['safety', 'finalBatch', 'wal', 'rollup'].map((store) => ({ key: `member0_${store}_fsyncs_per_round`, get: (r: any) => storeFsyncs(r, store), lower: true })),
  { key: 'member0_sig_verifies_per_round', get: (r) => firstMember(r)?.sig_verifies_per_round, lower: true },
  { key: 'member0_messages_per_round', get: (r) => firstMember(r)?.messages_per_round, lower: true },
  { key: 'members_cpu_cores', get: (r) => sumCores(r.runs?.[0]?.cpu_cores), lower: true },
  { key: 'other_processes_cores', get: (r) => r.runs?.[0]?.machine?.other_cores, lower: true },
  // --scenario overload (bench/lib/overload-report.ts)
  { key: 'overload_committed_tps', get: (r) => r.overload?.committed_tps, lower: false },
  { key: 'overload_committed_over_peak', get: (r) => r.overload?.committed_over_peak, lower: false },
  { key: 'overload_accepted_p99_ms', get: (r) => r.overload?.accepted_p99_ms, lower: true },
  { key: 'overload_refused', get: (r) => r.overload === undefined ? undefined : Object.values(r.overload.refused as Record<string, number>).reduce((a, b) => a + b, 0), lower: false },
  { key: 'overload_lost', get: (r) => r.overload?.lost, lower: true },
  { key: 'overload_recovered_after_s', get: (r) => r.overload?.recovered_after_s, lower: true }
]

function firstMember (r: any): Record<string, any> | undefined {
  const members = r.runs?.[0]?.efficiency?.members as Record<string, Record<string, any>> | undefined
  return members === undefined ? undefined : Object.values(members)[0]
}

/** fsyncs per round of one store on the first member; null when the node does not count them */
function storeFsyncs (r: any, store: string): number | null {
  const byStore = firstMember(r)?.fsyncs_per_round_by_store as Record<string, number> | null | undefined
  return byStore == null ? null : (byStore[store] ?? 0)
}

function sumCores (o: Record<string, number | null> | undefined): number | null {
  if (o === undefined) return null
  const v = Object.values(o).filter((x): x is number => typeof x === 'number')
  return v.length === 0 ? null : Math.round(v.reduce((a, b) => a + b, 0) * 100) / 100
}

export function median (values: number[]): number | null {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b)
  if (v.length === 0) return null
  const mid = Math.floor(v.length / 2)
  return v.length % 2 === 1 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2
}

function git (args: string[]): string {
  return execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' }).trim()
}

/** A detached worktree of `commit` in a temp folder, node_modules linked; removed at cleanup. */
async function checkout (commit: string): Promise<string> {
  const parent = await mkdtemp(join(tmpdir(), 'seq-bench-ab-'))
  const tree = join(parent, commit.slice(0, 10))
  git(['worktree', 'add', '--detach', tree, commit])
  const remove = async (): Promise<void> => {
    try { git(['worktree', 'remove', '--force', tree]) } catch { /* already gone */ }
    await rm(parent, { recursive: true, force: true })
    try { git(['worktree', 'prune']) } catch { /* best effort */ }
  }
  onCleanup(`A/B worktree ${tree}`, remove)
  const modules = existsSync(join(ROOT, 'node_modules')) ? resolve(ROOT, 'node_modules') : null
  if (modules === null) throw new Error('--ab: this tree has no node_modules to share with the checkout')
  await symlink(modules, join(tree, 'node_modules'))
  // Commits since the build step run compiled code (bin/seqnode.js -> dist/): build it there.
  if (existsSync(join(tree, 'scripts', 'build-if-stale.js'))) {
    const built = spawnSync(process.execPath, ['scripts/build-if-stale.js'], { cwd: tree, stdio: ['ignore', 'ignore', 'inherit'] })
    if (built.status !== 0) throw new Error(`--ab: building ${commit} in ${tree} failed`)
  }
  return tree
}

async function runChild (args: string[], logFile: string): Promise<number> {
  await mkdir(join(logFile, '..'), { recursive: true })
  const child = spawn(process.execPath, ['--import', './src/polyfills/register.js', '--import', 'tsx', 'bench/bench.ts', ...args], { cwd: ROOT, stdio: ['ignore', 'inherit', 'pipe'] })
  trackChild(child)
  let log = ''
  child.stderr!.on('data', (d: Buffer) => { log += d.toString(); process.stderr.write(d) })
  const code = await new Promise<number>((resolve) => child.once('exit', (c) => resolve(c ?? 1)))
  await writeFile(logFile, log)
  return code
}

export async function runAb (o: AbOptions): Promise<number> {
  const commit = git(['rev-parse', '--verify', `${o.ref}^{commit}`])
  const head = o.refB === undefined ? git(['rev-parse', 'HEAD']) : git(['rev-parse', '--verify', `${o.refB}^{commit}`])
  const dirty = o.refB === undefined && git(['status', '--porcelain', '--untracked-files=no']).length > 0
  await mkdir(o.outDir, { recursive: true })
  const bName = o.refB === undefined ? `this tree (${head.slice(0, 10)}${dirty ? '+dirty' : ''})` : `${o.refB} (${head.slice(0, 10)})`
  process.stderr.write(`bench --ab: A = ${o.ref} (${commit.slice(0, 10)}), B = ${bName}; ${o.repeat} pair(s), results in ${o.outDir}\n`)
  const tree = await checkout(commit)
  const treeB = o.refB === undefined ? undefined : await checkout(head)
  const sides: Side[] = [
    { name: 'A', tree, label: `${o.ref} (${commit.slice(0, 10)})` },
    { name: 'B', tree: treeB, label: bName }
  ]
  const runs: Array<{ side: 'A' | 'B', index: number, dir: string, exit: number, result: any, started: string }> = []
  for (let i = 1; i <= o.repeat; i++) {
    for (const side of sides) {
      if (wasInterrupted()) throw new Error('interrupted')
      const dir = join(o.outDir, `${side.name}${i}`)
      const started = new Date().toISOString()
      process.stderr.write(`bench --ab: run ${side.name}${i} (${side.label})\n`)
      const exit = await runChild([...o.args, '--out', dir, ...(side.tree !== undefined ? ['--node-tree', side.tree] : [])], join(o.outDir, 'logs', `${side.name}${i}.stderr.log`))
      let result: any = null
      try { result = JSON.parse(await readFile(join(dir, 'result.json'), 'utf8')) } catch { /* the run failed before writing */ }
      runs.push({ side: side.name, index: i, dir, exit, result, started })
    }
  }
  const summary: Record<string, { A: number | null, B: number | null, ratio_B_over_A: number | null, A_values: Array<number | null>, B_values: Array<number | null>, better: string }> = {}
  for (const f of FIGURES) {
    const values = (side: 'A' | 'B'): Array<number | null> => runs.filter((r) => r.side === side).map((r) => { const v = r.result === null ? null : f.get(r.result); return typeof v === 'number' && Number.isFinite(v) ? v : null })
    const a = values('A')
    const b = values('B')
    const ma = median(a.filter((x): x is number => x !== null))
    const mb = median(b.filter((x): x is number => x !== null))
    summary[f.key] = { A: round(ma), B: round(mb), ratio_B_over_A: ma === null || mb === null || ma === 0 ? null : round(mb / ma, 3), A_values: a, B_values: b, better: f.lower ? 'lower' : 'higher' }
  }
  const command = `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim()
  const ab = { command, date: new Date().toISOString(), A: { ref: o.ref, commit }, B: { ref: o.refB ?? 'this tree', commit: head, dirty }, order: runs.map((r) => `${r.side}${r.index}`), runs: runs.map((r) => ({ run: `${r.side}${r.index}`, started: r.started, exit: r.exit, dir: r.dir })), medians: summary }
  await writeFile(join(o.outDir, 'ab.json'), JSON.stringify(ab, null, 2) + '\n')
  await writeFile(join(o.outDir, 'report.md'), abMarkdown(ab, sides))
  process.stderr.write(`bench --ab: wrote ${o.outDir}/ab.json and report.md\n`)
  for (const k of ['latency_p50_ms', 'latency_p99_ms', 'committed_tps', 'committee_cpu_us_per_final_tx']) {
    const s = summary[k]!
    process.stderr.write(`bench --ab: ${k}: A ${s.A ?? '–'}, B ${s.B ?? '–'}, B/A ${s.ratio_B_over_A ?? '–'}\n`)
  }
  return runs.some((r) => r.exit !== 0) ? 1 : 0
}

function round (x: number | null, digits = 2): number | null {
  if (x === null) return null
  const f = 10 ** digits
  return Math.round(x * f) / f
}

function abMarkdown (ab: any, sides: Side[]): string {
  const L: string[] = ['# A/B benchmark', '', '```sh', ab.command, '```', '']
  L.push(`- date: ${ab.date as string}`)
  L.push(`- A: ${sides[0]!.label}; B: ${sides[1]!.label}`)
  L.push(`- order: ${(ab.order as string[]).join(' ')} (back to back, alternating); each run's own report is in its folder`)
  L.push('')
  L.push('| figure | median A | median B | B / A | better | A runs | B runs |')
  L.push('|---|---:|---:|---:|---|---|---|')
  for (const [k, s] of Object.entries(ab.medians as Record<string, any>)) {
    const list = (v: Array<number | null>): string => v.map((x) => x ?? '–').join(', ')
    L.push(`| ${k} | ${s.A ?? '–'} | ${s.B ?? '–'} | ${s.ratio_B_over_A ?? '–'} | ${s.better as string} | ${list(s.A_values)} | ${list(s.B_values)} |`)
  }
  L.push('')
  const failed = (ab.runs as Array<{ run: string, exit: number }>).filter((r) => r.exit !== 0)
  if (failed.length > 0) L.push(`Runs that exited non-zero (lost txs or an error; see logs/): ${failed.map((r) => r.run).join(', ')}`, '')
  L.push('- *other_processes_cores*: CPU used on the machine by neither the members nor the client during the window; compare A and B only when it is similar and small.')
  L.push('- Efficiency figures are null for a side whose node does not export the counters (code older than the efficiency commit).')
  L.push('')
  return L.join('\n')
}
