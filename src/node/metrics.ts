/**
 * The node's one typed metrics registry (prom-client). Parts receive the narrow slice they
 * need (`metrics | null`), so tests can run them without a registry.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'

export interface NodeMetrics {
  registry: Registry
  txsAdmitted: Counter<'rollup'>
  txsRejected: Counter<'code'>
  batchesFinal: Counter
  finalHeight: Gauge
  batchTxs: Histogram
  txFinalLatency: Histogram
  ordererErrors: Counter
}

export function createNodeMetrics (sources: { mempool: () => { txs: number, bytes: number } }): NodeMetrics {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry, prefix: 'seq_' })
  const m: NodeMetrics = {
    registry,
    txsAdmitted: new Counter({ name: 'seq_txs_admitted_total', help: 'Transactions admitted to the mempool (durable in the WAL)', labelNames: ['rollup'], registers: [registry] }),
    txsRejected: new Counter({ name: 'seq_txs_rejected_total', help: 'Transactions rejected, by reason code', labelNames: ['code'], registers: [registry] }),
    batchesFinal: new Counter({ name: 'seq_batches_final_total', help: 'Batches that became final', registers: [registry] }),
    finalHeight: new Gauge({ name: 'seq_final_height', help: 'Highest final batch height', registers: [registry] }),
    batchTxs: new Histogram({ name: 'seq_batch_txs', help: 'Transactions per final batch', buckets: [1, 10, 100, 1000, 10000], registers: [registry] }),
    txFinalLatency: new Histogram({
      name: 'seq_tx_final_latency_seconds',
      help: 'From admission (WAL durable) to final, measured on this node',
      buckets: [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5],
      registers: [registry]
    }),
    ordererErrors: new Counter({ name: 'seq_orderer_errors_total', help: 'Failed attempts to order a batch (txs are kept and retried)', registers: [registry] })
  }
  new Gauge({ name: 'seq_mempool_txs', help: 'Transactions held by the mempool', registers: [registry], collect () { this.set(sources.mempool().txs) } })
  new Gauge({ name: 'seq_mempool_bytes', help: 'Bytes held by the mempool', registers: [registry], collect () { this.set(sources.mempool().bytes) } })
  return m
}
