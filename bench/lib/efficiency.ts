/**
 * What a round and a final tx cost, per member and for the committee, from the deltas of
 * the members' /metrics counters over the measured window (issue #11 "Make the cost
 * visible"): process CPU, fsyncs (level writes with sync: true, by store), ed25519 verifies
 * and signs, p2p messages and frame bytes, rounds entered and txs in final batches.
 *
 * Per member, messages and bytes are what the member sent plus what it received; for the
 * committee they are what all members sent (each message once), and every committee figure
 * is a sum over the members divided by the committee's rounds (or final txs), taken from
 * the followed member. A counter the member does not export (older code in an A/B run)
 * gives null, never 0.
 */
import { delta, type MetricMap } from './metrics.js'

export interface CostFigures {
  cpu_us_per_round: number | null
  cpu_us_per_final_tx: number | null
  fsyncs_per_round: number | null
  /** fsyncs per round by store (meta, finalBatch, wal, safety, rollup) */
  fsyncs_per_round_by_store: Record<string, number> | null
  sig_verifies_per_round: number | null
  sig_verifies_per_tx: number | null
  sig_signs_per_round: number | null
  messages_per_round: number | null
  wire_bytes_per_tx: number | null
}

export interface Efficiency {
  /** the member whose rounds and final txs are the committee's */
  measured_on: string
  window_s: number
  rounds: number
  final_txs: number
  rounds_per_s: number | null
  txs_per_round: number | null
  committee: CostFigures
  members: Record<string, CostFigures & { rounds: number, final_txs: number, cpu_s: number | null }>
}

const P = 'seq_'

interface Totals {
  cpuS: number | null
  rounds: number
  finalTxs: number
  fsyncs: number | null
  fsyncsByStore: Record<string, number> | null
  verifies: number | null
  signs: number | null
  messagesOut: number | null
  messagesIn: number | null
  bytesOut: number | null
  bytesIn: number | null
}

function exported (m: MetricMap | null | undefined, name: string): boolean {
  if (m == null) return false
  for (const key of m.keys()) if (key === name || key.startsWith(`${name}{`)) return true
  return false
}

function counted (a: MetricMap | null | undefined, b: MetricMap | null | undefined, name: string, labelFilter?: string): number | null {
  return exported(b, name) ? delta(a, b, name, labelFilter) : null
}

function byStore (a: MetricMap | null | undefined, b: MetricMap | null | undefined): Record<string, number> | null {
  if (!exported(b, `${P}fsyncs_total`)) return null
  const out: Record<string, number> = {}
  for (const key of b!.keys()) {
    const store = /^seq_fsyncs_total\{store="([^"]+)"\}$/.exec(key)?.[1]
    if (store !== undefined) out[store] = delta(a, b, `${P}fsyncs_total`, `store="${store}"`)
  }
  return out
}

function totals (a: MetricMap | null | undefined, b: MetricMap | null | undefined): Totals {
  return {
    cpuS: counted(a, b, `${P}process_cpu_seconds_total`),
    rounds: counted(a, b, `${P}consensus_rounds_total`) ?? 0,
    finalTxs: counted(a, b, `${P}batch_txs_sum`) ?? 0,
    fsyncs: counted(a, b, `${P}fsyncs_total`),
    fsyncsByStore: byStore(a, b),
    verifies: counted(a, b, `${P}ed25519_ops_total`, 'op="verify"'),
    signs: counted(a, b, `${P}ed25519_ops_total`, 'op="sign"'),
    messagesOut: counted(a, b, `${P}p2p_messages_out_total`),
    messagesIn: counted(a, b, `${P}p2p_messages_in_total`),
    bytesOut: counted(a, b, `${P}p2p_bytes_out_total`),
    bytesIn: counted(a, b, `${P}p2p_bytes_in_total`)
  }
}

function per (x: number | null, d: number, scale = 1, digits = 2): number | null {
  if (x === null || !(d > 0)) return null
  const f = 10 ** digits
  return Math.round(x * scale / d * f) / f
}

function sum (xs: Array<number | null>): number | null {
  return xs.some((x) => x === null) ? null : xs.reduce<number>((s, x) => s + x!, 0)
}

function add (a: number | null, b: number | null): number | null {
  return a === null || b === null ? null : a + b
}

function figures (t: Totals, rounds: number, txs: number, messages: number | null, bytes: number | null): CostFigures {
  return {
    cpu_us_per_round: per(t.cpuS, rounds, 1e6, 0),
    cpu_us_per_final_tx: per(t.cpuS, txs, 1e6, 1),
    fsyncs_per_round: per(t.fsyncs, rounds),
    fsyncs_per_round_by_store: t.fsyncsByStore === null ? null : Object.fromEntries(Object.entries(t.fsyncsByStore).map(([k, v]) => [k, per(v, rounds) ?? 0])),
    sig_verifies_per_round: per(t.verifies, rounds),
    sig_verifies_per_tx: per(t.verifies, txs, 1, 3),
    sig_signs_per_round: per(t.signs, rounds),
    messages_per_round: per(messages, rounds),
    wire_bytes_per_tx: per(bytes, txs, 1, 0)
  }
}

export function computeEfficiency (before: Map<string, MetricMap | null> | undefined, after: Map<string, MetricMap | null> | undefined, names: string[], measuredOn: string, windowS: number): Efficiency {
  const each = new Map(names.map((n) => [n, totals(before?.get(n), after?.get(n))]))
  const ref = each.get(measuredOn) ?? [...each.values()][0]
  const rounds = ref?.rounds ?? 0
  const txs = ref?.finalTxs ?? 0
  const all = [...each.values()]
  const committeeTotals: Totals = {
    cpuS: sum(all.map((t) => t.cpuS)),
    rounds,
    finalTxs: txs,
    fsyncs: sum(all.map((t) => t.fsyncs)),
    fsyncsByStore: all.some((t) => t.fsyncsByStore === null) ? null : all.reduce<Record<string, number>>((acc, t) => { for (const [k, v] of Object.entries(t.fsyncsByStore!)) acc[k] = (acc[k] ?? 0) + v; return acc }, {}),
    verifies: sum(all.map((t) => t.verifies)),
    signs: sum(all.map((t) => t.signs)),
    messagesOut: sum(all.map((t) => t.messagesOut)),
    messagesIn: sum(all.map((t) => t.messagesIn)),
    bytesOut: sum(all.map((t) => t.bytesOut)),
    bytesIn: sum(all.map((t) => t.bytesIn))
  }
  const members: Efficiency['members'] = {}
  for (const [name, t] of each) {
    members[name] = {
      ...figures(t, t.rounds, t.finalTxs, add(t.messagesOut, t.messagesIn), add(t.bytesOut, t.bytesIn)),
      rounds: t.rounds,
      final_txs: t.finalTxs,
      cpu_s: t.cpuS === null ? null : Math.round(t.cpuS * 1000) / 1000
    }
  }
  return {
    measured_on: measuredOn,
    window_s: windowS,
    rounds,
    final_txs: txs,
    rounds_per_s: per(rounds, windowS),
    txs_per_round: per(txs, rounds, 1, 1),
    committee: figures(committeeTotals, rounds, txs, committeeTotals.messagesOut, committeeTotals.bytesOut),
    members
  }
}

const COLUMNS: Array<[keyof CostFigures, string, number]> = [
  ['cpu_us_per_round', 'CPU µs / round', 0],
  ['cpu_us_per_final_tx', 'CPU µs / final tx', 1],
  ['fsyncs_per_round', 'fsyncs / round', 2],
  ['sig_verifies_per_round', 'verifies / round', 2],
  ['sig_verifies_per_tx', 'verifies / tx', 3],
  ['sig_signs_per_round', 'signs / round', 2],
  ['messages_per_round', 'messages / round', 2],
  ['wire_bytes_per_tx', 'wire bytes / tx', 0]
]

function fmt (v: number | null | undefined, digits: number): string {
  return v === null || v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(digits)
}

/** The markdown table of one run's efficiency (members, then the committee). */
export function efficiencyTable (e: Efficiency): string[] {
  const L: string[] = []
  L.push(`${fmt(e.rounds_per_s, 1)} rounds/s, ${fmt(e.txs_per_round, 1)} final txs per round (${e.rounds} rounds, ${e.final_txs} txs in ${e.window_s} s, rounds and txs as seen by ${e.measured_on}).`, '')
  L.push(`| | ${COLUMNS.map((c) => c[1]).join(' | ')} | fsyncs / round by store |`)
  L.push(`|---|${COLUMNS.map(() => '---:').join('|')}|---|`)
  const line = (label: string, f: CostFigures): void => {
    const stores = f.fsyncs_per_round_by_store === null ? '–' : Object.entries(f.fsyncs_per_round_by_store).filter(([, v]) => v > 0).map(([k, v]) => `${k} ${v.toFixed(2)}`).join(', ')
    L.push(`| ${label} | ${COLUMNS.map(([k, , d]) => fmt(f[k] as number | null, d)).join(' | ')} | ${stores} |`)
  }
  for (const [name, f] of Object.entries(e.members)) line(name, f)
  line('**committee**', e.committee)
  L.push('')
  L.push('- Per member: messages and wire bytes are sent + received; committee: sent by all members (each message once). Committee figures are sums over the members per committee round / final tx. Wire bytes are frame bytes above noise and yamux. Signatures include the member\'s checks of its own messages; the client\'s slice checks are not counted.')
  L.push('')
  return L
}
