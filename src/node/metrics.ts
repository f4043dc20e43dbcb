/**
 * The node's one typed metrics registry (prom-client). Parts receive the narrow slice they
 * need (`metrics | null`), so tests can run them without a registry.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import type { ConsensusMetrics } from '../ordering/index.js'

export interface NodeMetrics {
  registry: Registry
  txsAdmitted: Counter<'rollup'>
  txsRejected: Counter<'code'>
  laneRefused: Counter<'rollup' | 'code' | 'stage'>
  batchesFinal: Counter
  finalHeight: Gauge
  batchTxs: Histogram
  txFinalLatency: Histogram
  consensus: ConsensusMetrics
}

/** Tallies read at scrape time (plain increments where the work happens, see costCounters). */
export interface CostSources {
  /** synced level writes, by store: chain meta, mempool WAL, safety state, rollup heights */
  syncWrites: () => Record<'meta' | 'wal' | 'safety' | 'rollup', number>
  ed25519: () => { signs: number, verifies: number }
}

/** The store's failed writes per write path and the paths failing now (chain-store.ts). */
export type StoreFaultSource = () => { failures: Record<string, number>, faulted: string[] }

export function createNodeMetrics (sources: { mempool: () => { txs: number, bytes: number }, peers?: () => number, cost?: CostSources, store?: StoreFaultSource }): NodeMetrics {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry, prefix: 'seq_' })
  // prom-client names these gauges `_total`, which Prometheus reserves for counters
  // (`promtool check metrics` refuses them); the per-type gauges without it stay.
  for (const kind of ['handles', 'requests', 'resources']) registry.removeSingleMetric(`seq_nodejs_active_${kind}_total`)
  const m: NodeMetrics = {
    registry,
    txsAdmitted: new Counter({ name: 'seq_txs_admitted_total', help: 'Transactions admitted to the mempool (durable in the WAL)', labelNames: ['rollup'], registers: [registry] }),
    txsRejected: new Counter({ name: 'seq_txs_rejected_total', help: 'Transactions rejected, by reason code', labelNames: ['code'], registers: [registry] }),
    laneRefused: new Counter({ name: 'seq_lane_refused_total', help: 'Submissions refused for their rollup\'s lane (rate, lane limit, share, overload), by rollup, code and stage (header: before the body was read)', labelNames: ['rollup', 'code', 'stage'], registers: [registry] }),
    batchesFinal: new Counter({ name: 'seq_batches_final_total', help: 'Batches that became final', registers: [registry] }),
    finalHeight: new Gauge({ name: 'seq_final_height', help: 'Highest final batch height', registers: [registry] }),
    batchTxs: new Histogram({ name: 'seq_batch_txs', help: 'Transactions per final batch', buckets: [1, 10, 100, 1000, 10000], registers: [registry] }),
    txFinalLatency: new Histogram({
      name: 'seq_tx_final_latency_seconds',
      help: 'From admission (WAL durable) to final, measured on this node',
      buckets: [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5],
      registers: [registry]
    }),
    consensus: {
      round: new Gauge({ name: 'seq_consensus_round', help: 'Current consensus round', registers: [registry] }),
      roundTimeout: new Gauge({ name: 'seq_consensus_round_timeout_seconds', help: 'Round timer last armed: the base adapted to the QC latency, or a back-off of it', registers: [registry] }),
      roundDuration: new Histogram({ name: 'seq_consensus_round_duration_seconds', help: 'Time spent in each round', buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 2, 5, 10], registers: [registry] }),
      roundsEntered: new Counter({ name: 'seq_consensus_rounds_total', help: 'Rounds entered, by how (qc: normal, tc: after a timeout)', labelNames: ['via'], registers: [registry] }),
      votesSent: new Counter({ name: 'seq_consensus_votes_sent_total', help: 'Votes this member sent', registers: [registry] }),
      proposals: new Counter({ name: 'seq_consensus_proposals_total', help: 'Proposals this member made', registers: [registry] }),
      rejected: new Counter({ name: 'seq_consensus_rejected_total', help: 'Consensus messages refused, by message kind and ConsensusRejectCode', labelNames: ['kind', 'code'], registers: [registry] }),
      chunkFetches: new Counter({ name: 'seq_chunk_fetches_total', help: 'Chunk fetches from proposers, by result', labelNames: ['result'], registers: [registry] }),
      chunksReceived: new Counter({ name: 'seq_chunks_received_total', help: 'Chunks received from members, by verdict', labelNames: ['verdict'], registers: [registry] }),
      proposalsHeld: new Counter({ name: 'seq_proposals_held_total', help: 'Proposals this member held a few ms for more data before building them (pacing)', registers: [registry] }),
      chunksResent: new Counter({ name: 'seq_chunks_resent_total', help: 'Own chunks sent to the members again because no proposal took them in time', registers: [registry] }),
      syncedBatches: new Counter({ name: 'seq_sync_batches_total', help: 'Final batches applied through catch-up sync', registers: [registry] })
    }
  }
  new Gauge({ name: 'seq_mempool_txs', help: 'Transactions held by the mempool', registers: [registry], collect () { this.set(sources.mempool().txs) } })
  new Gauge({ name: 'seq_mempool_bytes', help: 'Bytes held by the mempool', registers: [registry], collect () { this.set(sources.mempool().bytes) } })
  const peers = sources.peers
  if (peers !== undefined) new Gauge({ name: 'seq_peers', help: 'Connected peers: committee members on a member, public-network peers on a follower', registers: [registry], collect () { this.set(peers()) } })
  if (sources.cost !== undefined) costCounters(registry, sources.cost)
  if (sources.store !== undefined) storeFaultMetrics(registry, sources.store)
  return m
}

function storeFaultMetrics (registry: Registry, store: StoreFaultSource): void {
  new Counter({
    name: 'seq_store_write_failures_total',
    help: 'Failed level writes (ENOSPC, EIO, ...), by the write path they held: safety, final, rollupHeights, pending, wal',
    labelNames: ['path'],
    registers: [registry],
    collect () {
      this.reset()
      for (const [path, count] of Object.entries(store().failures)) this.inc({ path }, count)
    }
  })
  new Gauge({
    name: 'seq_store_fault',
    help: '1 while writes of this path are failing (the member does not vote while safety, final or pending writes fail), else 0',
    labelNames: ['path'],
    registers: [registry],
    collect () {
      const { failures, faulted } = store()
      for (const path of Object.keys(failures)) this.set({ path }, faulted.includes(path) ? 1 : 0)
    }
  })
}

/**
 * What a round and a tx cost, as counters (the bench divides their deltas by rounds and
 * final txs): fsyncs by store and ed25519 operations. The hot paths only bump a number;
 * these copy the totals in when /metrics is scraped.
 */
function costCounters (registry: Registry, cost: CostSources): void {
  new Counter({
    name: 'seq_fsyncs_total',
    help: 'Level writes with sync: true (one fsync each), by store: meta, wal, safety, rollup',
    labelNames: ['store'],
    registers: [registry],
    collect () {
      this.reset()
      for (const [store, count] of Object.entries(cost.syncWrites())) this.inc({ store }, count)
    }
  })
  new Counter({
    name: 'seq_ed25519_ops_total',
    help: 'ed25519 signatures made (op="sign") and checked (op="verify") by this process',
    labelNames: ['op'],
    registers: [registry],
    collect () {
      this.reset()
      const { signs, verifies } = cost.ed25519()
      this.inc({ op: 'sign' }, signs)
      this.inc({ op: 'verify' }, verifies)
    }
  })
}
