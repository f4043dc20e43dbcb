/** result.json, report.md and the SVG plots of one bench invocation. */
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { efficiencyTable } from './efficiency.js'
import type { FaultEvent, RunResult } from './run.js'
import { r2, type Summary } from './stats.js'
import { lineChart, type Series } from './svg.js'
import { overloadMarkdown, overloadSummary } from './overload-report.js'

export interface BenchOutput {
  command: string
  date: string
  config: Record<string, unknown>
  host: { cpu_model: string, cores: number, node: string, platform: string, etcd: string | null }
  load_average_before: number[]
  runs: RunResult[]
  notes: string[]
  sweep: boolean
}

const STAGE_TITLES: Record<string, string> = {
  ack: 'submit → acknowledged (202)',
  proposed_at_node_sampled: 'submit → proposed at node (sampled)',
  final_at_node_sampled: 'submit → final at node (sampled)',
  final_delivered: 'submit → final slice delivered',
  ack_to_final_delivered: 'acknowledged → final slice delivered',
  delivered_after_node_final_sampled: 'final at node → slice delivered (sampled)'
}

function name (r: RunResult, sweep: boolean): string {
  return sweep ? `${r.label} @${r.rate}` : r.label
}

export function ratios (seq: RunResult, base: RunResult): Record<string, number | null> {
  const q = (a: number | null, b: number | null): number | null => a === null || b === null || b === 0 ? null : r2(a / b)
  return {
    p50: q(seq.latency_ms.p50, base.latency_ms.p50),
    p90: q(seq.latency_ms.p90, base.latency_ms.p90),
    p99: q(seq.latency_ms.p99, base.latency_ms.p99),
    max: q(seq.latency_ms.max, base.latency_ms.max),
    committed_tps: q(seq.committed_tps, base.committed_tps)
  }
}

/** Rebuilds report.md and the plots from an existing result.json (after a change of the report code). */
export async function rerender (dir: string): Promise<void> {
  const json = JSON.parse(await readFile(join(dir, 'result.json'), 'utf8')) as Record<string, any>
  if (!Array.isArray(json.runs) || json.runs.some((r: Partial<RunResult>) => r.cdf === undefined)) throw new Error(`${dir}/result.json has no CDF points (written by an older bench); run it again`)
  await writeOutput(dir, { command: json.command, date: json.date, config: json.config, host: json.host, load_average_before: json.load_average_before, runs: json.runs, notes: json.notes ?? [], sweep: json.config?.sweep !== null && json.config?.sweep !== undefined })
}

export async function writeOutput (dir: string, out: BenchOutput): Promise<void> {
  await mkdir(dir, { recursive: true })
  const runs = out.runs
  const primary = runs.find((r) => r.target === 'sequencer' && r.error === undefined) ?? runs[0]
  const comparisons: Array<Record<string, unknown>> = []
  const scenario = scenarioComparison(runs)
  const rates = scenario !== null ? [] : [...new Set(runs.map((r) => r.rate))]
  for (const rate of rates) {
    const main = runs.find((r) => r.rate === rate && r.label === mainLabel(runs))
    if (main === undefined) continue
    for (const base of runs.filter((r) => r.rate === rate && r !== main)) {
      comparisons.push({ rate, sequencer: main.label, baseline: base.label, ratio_sequencer_over_baseline: ratios(main, base) })
    }
  }
  const json = {
    command: out.command,
    date: out.date,
    config: out.config,
    cpu_model: out.host.cpu_model,
    host: out.host,
    load_average_before: out.load_average_before,
    // the headline fields are those of the first sequencer run (the only one unless --sweep/--baseline)
    ...(primary === undefined ? {} : headline(primary)),
    comparisons,
    ...(scenario !== null ? { scenario } : {}),
    ...(overloadSummary(runs) !== null ? { overload: overloadSummary(runs) } : {}),
    sweep: out.sweep ? runs.map((r) => ({ label: r.label, rate: r.rate, offered_tps: r.offered_tps, committed_tps: r.committed_tps, p50: r.latency_ms.p50, p90: r.latency_ms.p90, p99: r.latency_ms.p99, max: r.latency_ms.max, lost: r.lost })) : undefined,
    runs,
    notes: out.notes
  }
  // [x, y] pairs (CDF points) on one line each
  const text = JSON.stringify(json, null, 2).replace(/\[\n\s+(-?[\d.e+-]+),\n\s+(-?[\d.e+-]+)\n\s+\]/g, '[$1, $2]')
  await writeFile(join(dir, 'result.json'), text + '\n')
  const plots = await writePlots(dir, out)
  await writeFile(join(dir, 'report.md'), markdown(out, comparisons, plots))
}

/** `--scenario`: the run labelled `healthy` and the scenario's, with ratios scenario / healthy. */
export function scenarioComparison (runs: RunResult[]): Record<string, unknown> | null {
  const healthy = runs.find((r) => r.label === 'healthy')
  const faulty = runs.find((r) => r !== healthy && r.target === 'sequencer')
  if (healthy === undefined || faulty === undefined) return null
  const q = (a: number | null | undefined, b: number | null | undefined): number | null => a === null || a === undefined || b === null || b === undefined || b === 0 ? null : r2(a / b)
  const perRollup: Record<string, Record<string, number | null>> = {}
  for (const [rollup, h] of Object.entries(healthy.per_rollup ?? {})) {
    const f = faulty.per_rollup?.[rollup]
    perRollup[rollup] = { committed_tps: q(f?.committed_tps, h.committed_tps), p50: q(f?.latency_ms.p50, h.latency_ms.p50), p99: q(f?.latency_ms.p99, h.latency_ms.p99) }
  }
  return {
    name: faulty.label,
    healthy: healthy.label,
    ratio_scenario_over_healthy: { committed_tps: q(faulty.committed_tps, healthy.committed_tps), p50: q(faulty.latency_ms.p50, healthy.latency_ms.p50), p99: q(faulty.latency_ms.p99, healthy.latency_ms.p99), max: q(faulty.latency_ms.max, healthy.latency_ms.max) },
    per_rollup: perRollup
  }
}

function scenarioMarkdown (runs: RunResult[]): string[] {
  const cmp = scenarioComparison(runs)
  if (cmp === null) return []
  const healthy = runs.find((r) => r.label === 'healthy')!
  const faulty = runs.find((r) => r.label === cmp.name)!
  const q = (a: number | null | undefined, b: number | null | undefined): string => a === null || a === undefined || b === null || b === undefined || b === 0 ? '–' : (a / b).toFixed(2)
  const L: string[] = [`## Scenario \`${faulty.label}\` against the healthy run`, '']
  L.push(`| | healthy | ${faulty.label} | ${faulty.label} / healthy |`, '|---|---:|---:|---:|')
  const row = (label: string, f: (r: RunResult) => number | null | undefined, digits = 1): void => {
    L.push(`| ${label} | ${cell(f(healthy), digits)} | ${cell(f(faulty), digits)} | ${q(f(faulty), f(healthy))} |`)
  }
  row('offered tx/s', (r) => r.offered_tps)
  row('committed tx/s', (r) => r.committed_tps)
  row('submit → final p50 (ms)', (r) => r.latency_ms.p50)
  row('submit → final p99 (ms)', (r) => r.latency_ms.p99)
  row('submit → final max (ms)', (r) => r.latency_ms.max)
  row('lost (acked, never final)', (r) => r.lost, 0)
  row('refused', (r) => Object.values(r.rejected).reduce((a, b) => a + b, 0), 0)
  L.push('')
  const rollups = Object.keys(healthy.per_rollup ?? {})
  if (rollups.length > 0) {
    L.push('### Per rollup', '')
    L.push(`| rollup | run | offered tx/s | committed tx/s | refused (by code) | lost | p50 / p99 (ms) |`, '|---|---|---:|---:|---|---:|---:|')
    for (const rollup of rollups) {
      for (const r of [healthy, faulty]) {
        const p = r.per_rollup?.[rollup]
        if (p === undefined) continue
        const rej = Object.entries(p.rejected)
        L.push(`| ${rollup} | ${r.label} | ${cell(p.offered_tps)} | ${cell(p.committed_tps)} | ${rej.length === 0 ? '0' : rej.map(([k, v]) => `${k}: ${v}`).join(', ')} | ${p.lost} | ${cell(p.latency_ms.p50)} / ${cell(p.latency_ms.p99)} |`)
      }
      const h = healthy.per_rollup?.[rollup]
      const f = faulty.per_rollup?.[rollup]
      L.push(`| ${rollup} | *${faulty.label} / healthy* | ${q(f?.offered_tps, h?.offered_tps)} | ${q(f?.committed_tps, h?.committed_tps)} | | | ${q(f?.latency_ms.p50, h?.latency_ms.p50)} / ${q(f?.latency_ms.p99, h?.latency_ms.p99)} |`)
    }
    L.push('')
  }
  if (faulty.fault !== undefined && faulty.fault.events.length > 0) {
    L.push(`### Fault events (${faulty.fault.kind}; seconds since the load started, warm-up included)`, '')
    L.push('| t (s) | action | member | final height at kill (member watched) | height moved on after (ms) | restart took (ms) |', '|---:|---|---:|---:|---:|---:|')
    for (const e of faulty.fault.events.filter((x) => x.action === 'kill' || x.action === 'restart')) {
      L.push(`| ${e.t_s.toFixed(2)} | ${e.action} | ${e.member} | ${e.height ?? ''}${e.watched !== undefined ? ` (${e.watched})` : ''} | ${e.action === 'kill' ? (e.progress_after_ms === null || e.progress_after_ms === undefined ? 'not seen' : String(e.progress_after_ms)) : ''} | ${e.restart_ms ?? ''} |`)
    }
    for (const e of faulty.fault.events) {
      if (e.action === 'pauses') L.push(`- member ${e.member}: ${e.pauses ?? 0} pauses of ${e.pause_ms ?? 0} ms (SIGSTOP, SIGCONT) until ${e.t_s.toFixed(2)} s`)
      const clock = (c: FaultEvent['clock']): string => c === null || c === undefined ? 'no answer' : `offset ${c.offsetMs} ms, committee's median view ${c.peerOffsetMs} ms, correction ${c.correctionMs} ms`
      if (e.action === 'clock') L.push(`- at ${e.t_s.toFixed(2)} s, member ${e.member} (skewed) /v1/status clock: ${clock(e.clock)}; the next member (healthy): ${clock(e.healthy_clock)}`)
    }
    L.push('')
  }
  return L
}

function mainLabel (runs: RunResult[]): string {
  return runs.find((r) => r.target === 'sequencer')?.label ?? runs[0]?.label ?? ''
}

function headline (r: RunResult): Record<string, unknown> {
  return {
    offered_tps: r.offered_tps,
    committed_tps: r.committed_tps,
    payloads_per_s: r.payloads_per_s,
    latency_ms: { p50: r.latency_ms.p50, p90: r.latency_ms.p90, p99: r.latency_ms.p99, max: r.latency_ms.max },
    latency_ms_second_half: r.latency_ms_second_half,
    stages_ms: r.stages_ms,
    submitted: r.submitted,
    acknowledged: r.acknowledged,
    committed: r.committed,
    rejected: r.rejected,
    lost: r.lost,
    rss_mb_max: r.rss_mb_max,
    cpu_cores: r.cpu_cores,
    efficiency: r.efficiency,
    per_rollup: r.per_rollup,
    paths: r.paths,
    ...(r.path_split !== undefined ? { path_split: r.path_split } : {}),
    ...(r.checks !== undefined ? { checks: r.checks } : {}),
    client: r.client
  }
}

async function writePlots (dir: string, out: BenchOutput): Promise<string[]> {
  const files: string[] = []
  const runs = out.runs.filter((r) => r.cdf !== undefined)
  const put = async (file: string, svg: string): Promise<void> => { await writeFile(join(dir, file), svg); files.push(file) }
  // CDF: every stage of the main run(s); final only for the baselines
  const cdf: Series[] = []
  const main = mainLabel(runs)
  for (const r of runs) {
    const stages = r.label === main && !out.sweep ? Object.keys(STAGE_TITLES).filter((k) => r.cdf[k] !== undefined) : ['final_delivered']
    for (const st of stages) {
      if (st === 'delivered_after_node_final_sampled') continue
      const pts = r.cdf[st] ?? []
      if (pts.length === 0) continue
      const title = r.target === 'etcd' ? 'submit → put answered' : (STAGE_TITLES[st] ?? st)
      cdf.push({ name: `${name(r, out.sweep)}: ${title.replace('submit → ', '→ ')}`, points: pts, dash: r.label !== main })
    }
  }
  if (cdf.length > 0) {
    await put('latency-cdf.svg', lineChart({ title: 'Latency CDF per stage (client clock, from the scheduled submit)', xLabel: 'latency (ms, log scale)', yLabel: 'fraction of txs', xLog: true, yMin: 0, yMax: 1, width: 1000, height: 460, series: cdf }))
  }
  const warmup = out.runs[0]?.warmup_s ?? 0
  const duration = out.runs[0]?.duration_s ?? 0
  const bands = [{ from: 0, to: warmup, label: 'warmup' }, { from: warmup + duration, to: warmup + duration + 1000, label: 'drain' }]
  // the timeline ends with the last second that saw a final tx (or a submit)
  const lastActive = Math.max(warmup + duration, ...runs.map((r) => r.timeline.reduce((a, p, t) => (p.committed > 0 || p.offered > 0 ? t + 1 : a), 0)))
  const clip = (r: RunResult): RunResult['timeline'] => r.timeline.slice(0, lastActive)
  const latSeries: Series[] = []
  const tpSeries: Series[] = []
  const runColors = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf']
  for (const [k, r] of runs.entries()) {
    const nm = name(r, out.sweep)
    const color = runColors[k % runColors.length]!
    latSeries.push({ name: `${nm} p50`, points: clip(r).map((p) => [p.t + 0.5, p.p50 ?? Number.NaN]), color })
    latSeries.push({ name: `${nm} p99`, points: clip(r).map((p) => [p.t + 0.5, p.p99 ?? Number.NaN]), color, dash: true })
    tpSeries.push({ name: `${nm} final`, points: clip(r).map((p) => [p.t + 0.5, p.committed]), color })
    if (r.label === main) tpSeries.push({ name: `${nm} offered`, points: clip(r).map((p) => [p.t + 0.5, p.offered]), color: '#999999', dash: true })
  }
  if (latSeries.length > 0) {
    await put('latency-over-time.svg', lineChart({ title: 'Latency by submit second (submit → final; p99 dashed)', xLabel: 'seconds since load start', yLabel: 'latency (ms, log scale)', yLog: true, xMin: 0, xMax: lastActive, width: 1000, height: 440, bands, series: latSeries }))
    await put('throughput-over-time.svg', lineChart({ title: 'Throughput: txs offered and final per second', xLabel: 'seconds since load start', yLabel: 'tx/s', yMin: 0, xMin: 0, xMax: lastActive, width: 1000, height: 440, bands, series: tpSeries }))
  }
  if (out.sweep) {
    const sweepSeries: Series[] = []
    const colors = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e']
    for (const [k, label] of [...new Set(out.runs.map((r) => r.label))].entries()) {
      const pts = out.runs.filter((r) => r.label === label && r.committed_tps !== null).sort((a, b) => a.rate - b.rate)
      const color = colors[k % colors.length]!
      sweepSeries.push({ name: `${label} p50`, points: pts.map((r) => [r.committed_tps!, r.latency_ms.p50 ?? Number.NaN]), markers: true, color })
      sweepSeries.push({ name: `${label} p99`, points: pts.map((r) => [r.committed_tps!, r.latency_ms.p99 ?? Number.NaN]), markers: true, color, dash: true })
    }
    await put('sweep-latency-vs-throughput.svg', lineChart({ title: 'Latency vs committed throughput (one point per offered rate)', xLabel: 'committed tx/s', yLabel: 'submit → final latency (ms, log scale)', yLog: true, xMin: 0, width: 900, height: 440, series: sweepSeries }))
  }
  return files
}

function cell (v: number | null | undefined, digits = 1): string {
  return v === null || v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(digits)
}

function lat (s: Summary | undefined): string {
  if (s === undefined || s.count === 0) return '–'
  return `${cell(s.p50)} / ${cell(s.p90)} / ${cell(s.p99)} / ${cell(s.max)}`
}

function sumValues (o: Record<string, number | null>): number | null {
  const vals = Object.values(o).filter((v): v is number => v !== null)
  return vals.length === 0 ? null : vals.reduce((a, b) => a + b, 0)
}

function maxValues (o: Record<string, number | null>): number | null {
  const vals = Object.values(o).filter((v): v is number => v !== null)
  return vals.length === 0 ? null : Math.max(...vals)
}

function markdown (out: BenchOutput, comparisons: Array<Record<string, unknown>>, plots: string[]): string {
  const L: string[] = []
  const runs = out.runs
  L.push(`# Ordering latency benchmark`, '')
  L.push('```sh', out.command, '```', '')
  L.push(`- date: ${out.date}`)
  L.push(`- host: ${out.host.cpu_model}, ${out.host.cores} cores, Node ${out.host.node}, ${out.host.platform}${out.host.etcd === null ? '' : `, ${out.host.etcd}`}`)
  L.push(`- load average before (1/5/15 min): ${out.load_average_before.join(' / ')} (other work on the machine shares these cores)`)
  const c = out.config
  L.push(`- load: open loop, ${String(c.actions)} payload(s) of ${String(c.payload)} B (${String(c.payload_kind)}) per signed tx, rollups ${String(c.rollups)} (in-process execution ${String(c.rollup_exec)}), ${String(c.senders)} senders (keys = keep-alive connections), warmup ${String(c.warmup)} s, measured ${String(c.duration)} s, drain ≤ ${String(c.drain)} s${c.node_config === null || c.node_config === undefined ? '' : `, member config overrides \`${JSON.stringify(c.node_config)}\``}`, '')
  const paths = runs.find((r) => r.paths !== undefined)?.paths
  if (paths !== undefined) L.push(`- paths: ${paths.followers} follower(s); load submitted via ${paths.submit_via} (${paths.ingress.join(', ')}), slices followed at ${paths.subscribe_via} ${paths.subscriber}`, '')
  L.push('## Results', '')
  const cols = runs.map((r) => name(r, out.sweep))
  L.push(`| | ${cols.join(' | ')} |`)
  L.push(`|---|${cols.map(() => '---:').join('|')}|`)
  const row = (label: string, f: (r: RunResult) => string): void => { L.push(`| ${label} | ${runs.map(f).join(' | ')} |`) }
  row('members', (r) => `${r.members} (${r.target})`)
  if (runs.some((r) => r.paths !== undefined)) row('submit via → subscribe at', (r) => r.paths === undefined ? '–' : `${r.paths.submit_via} (${r.paths.ingress.length}) → ${r.paths.subscriber}`)
  row('offered tx/s', (r) => cell(r.offered_tps))
  row('committed tx/s (final in window)', (r) => cell(r.committed_tps))
  row('payloads/s', (r) => cell(r.payloads_per_s))
  row('**submit → final, p50 / p90 / p99 / max (ms)**', (r) => lat(r.latency_ms))
  row('same, second half of the window only', (r) => lat(r.latency_ms_second_half))
  row('submit → ack, p50 / p90 / p99 / max (ms)', (r) => lat(r.stages_ms.ack))
  row('submitted / acked / final', (r) => `${r.submitted} / ${r.acknowledged} / ${r.committed}`)
  row('lost (acked, not final after drain)', (r) => String(r.lost))
  row('rejected', (r) => Object.keys(r.rejected).length === 0 ? '0' : Object.entries(r.rejected).map(([k, v]) => `${k}: ${v}`).join(', '))
  row('RSS max per member (MB)', (r) => Object.values(r.rss_mb_max).map((v) => cell(v, 0)).join(', '))
  row(runs.some((r) => (r.paths?.followers ?? 0) > 0) ? 'CPU cores used, members then followers (sum)' : 'CPU cores used, members (sum)', (r) => `${Object.values(r.cpu_cores).map((v) => cell(v, 2)).join(' + ')} = ${cell(sumValues(r.cpu_cores), 2)}`)
  row('client CPU cores / event loop busy', (r) => `${cell(r.client.cpu_cores, 2)} / ${cell(r.client.event_loop_utilization === null ? null : r.client.event_loop_utilization * 100, 0)} %`)
  row('client schedule lag p99 / max (ms)', (r) => `${cell(r.client.schedule_lag_ms.p99)} / ${cell(r.client.schedule_lag_ms.max)}`)
  row('max in flight', (r) => String(r.client.max_in_flight))
  row('member event-loop lag p99, max (ms)', (r) => cell(maxValues(r.eventloop_lag_p99_ms_max)))
  row('batches/s, txs per batch, txs per chunk', (r) => r.node_metrics === undefined ? '–' : `${cell(r.node_metrics.batches_per_s as number | null)}, ${cell(r.node_metrics.txs_per_batch_mean as number | null)}, ${cell(r.node_metrics.txs_per_chunk_mean as number | null, 2)}`)
  row('mean round (ms)', (r) => r.node_metrics === undefined ? '–' : cell(r.node_metrics.round_ms_mean as number | null))
  row('machine busy cores / of which other processes', (r) => r.machine === undefined ? '–' : `${cell(r.machine.busy_cores, 2)} / ${cell(r.machine.other_cores, 2)} (of ${r.machine.cores})`)
  row('load average before → after', (r) => `${r.load_average_before[0] ?? '–'} → ${r.load_average_after[0] ?? '–'}`)
  L.push('')
  for (const r of runs.filter((x) => x.error !== undefined)) L.push(`**${name(r, out.sweep)}: ${r.error}**`, '')
  for (const r of runs.filter((x) => x.checks !== undefined)) L.push(`**${name(r, out.sweep)}, checks:** \`${JSON.stringify(r.checks)}\``, '')
  if (runs.some((r) => r.path_split !== undefined)) {
    L.push('### Two paths in one run (`--submit-via split`): each measured on its own stream', '')
    L.push('| run | path | txs / final | submit → ack p50 / p99 | submit → final p50 / p90 / p99 / max | follower − member p50 / p99 |')
    L.push('|---|---|---:|---:|---:|---:|')
    for (const r of runs) {
      const ps = r.path_split
      if (ps === undefined) continue
      for (const path of ['member', 'follower'] as const) {
        const p = ps[path]
        L.push(`| ${name(r, out.sweep)} | ${path} | ${p.txs} / ${p.final} | ${cell(p.ack_ms.p50)} / ${cell(p.ack_ms.p99)} | ${lat(p.latency_ms)} | ${path === 'follower' ? `${cell(ps.follower_minus_member_p50_ms)} / ${cell(ps.follower_minus_member_p99_ms)}` : ''} |`)
      }
    }
    for (const r of runs) {
      const ps = r.path_split
      if (ps?.read_side_ms !== undefined) L.push(`- ${name(r, out.sweep)}: of the difference, tx side (follower txs vs member txs, submit → seen on the member's stream) p50 ${cell(ps.tx_side_p50_ms)} ms; read side (same tx, follower's stream − member's stream) p50 / p90 / p99 ${cell(ps.read_side_ms.p50)} / ${cell(ps.read_side_ms.p90)} / ${cell(ps.read_side_ms.p99)} ms`)
    }
    L.push('')
  }
  if (comparisons.length > 0) {
    L.push('### Ratios (sequencer / baseline; latency > 1 means the sequencer is slower)', '')
    L.push('| rate | sequencer | baseline | p50 | p90 | p99 | max | committed tx/s |')
    L.push('|---:|---|---|---:|---:|---:|---:|---:|')
    for (const cmp of comparisons) {
      const q = cmp.ratio_sequencer_over_baseline as Record<string, number | null>
      L.push(`| ${String(cmp.rate)} | ${String(cmp.sequencer)} | ${String(cmp.baseline)} | ${cell(q.p50, 2)} | ${cell(q.p90, 2)} | ${cell(q.p99, 2)} | ${cell(q.max, 2)} | ${cell(q.committed_tps, 2)} |`)
    }
    L.push('')
  }
  L.push(...scenarioMarkdown(runs))
  L.push(...overloadMarkdown(runs))
  const seqRuns = runs.filter((r) => r.target === 'sequencer')
  if (seqRuns.length > 0) {
    L.push('## Stages (sequencer), p50 / p90 / p99 / max in ms, from the scheduled submit instant', '')
    L.push(`| stage | ${seqRuns.map((r) => name(r, out.sweep)).join(' | ')} |`)
    L.push(`|---|${seqRuns.map(() => '---:').join('|')}|`)
    for (const [key, title] of Object.entries(STAGE_TITLES)) {
      L.push(`| ${title} | ${seqRuns.map((r) => { const s = (r.stages_ms as unknown as Record<string, Summary | undefined>)[key]; return s === undefined ? '–' : `${lat(s)} (n=${s.count})` }).join(' | ')} |`)
    }
    L.push('')
    L.push('- *acknowledged*: the 202 reply (at a member: the tx is in the ingress member\'s synced write-ahead log; at a follower: `relayed`, checked and gossiped toward the members).')
    L.push('- *proposed / final at node* (sampled): for txs the subscriber\'s member admitted itself (only the ingress member reports `proposed`), `GET /v1/txs/:hash` on that member, polled every 5 ms (longer for slow txs, about 5 % of the elapsed time) for a few txs a second; the instant is the midpoint between the last poll that did not see the state and the reply that did, so these carry ± half a poll interval plus a round trip.')
    L.push('- *final slice delivered*: the tx hash in a slice from `subscribeSlices` on one member, after the client verified the slice (commit proof, quorum signatures, NMT completeness). The node pushes a slice as soon as the batch is final, so this is *final at the node* plus slice building, the WebSocket hop and verification; the sampled *final at node → slice delivered* row shows that difference directly.')
    L.push('')
  }
  const costed = runs.filter((r) => r.efficiency !== undefined)
  if (costed.length > 0) {
    L.push('## Efficiency: cost per round and per final tx (member /metrics deltas over the measured window)', '')
    for (const r of costed) {
      L.push(`### ${name(r, out.sweep)}`, '')
      L.push(...efficiencyTable(r.efficiency!))
    }
  }
  if (plots.length > 0) {
    L.push('## Plots', '')
    for (const p of plots) L.push(`![${p}](${p})`, '')
  }
  if (out.notes.length > 0) {
    L.push('## Notes', '')
    for (const n of out.notes) L.push(`- ${n}`)
    L.push('')
  }
  return L.join('\n')
}
