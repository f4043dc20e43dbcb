/** Rollup runner metrics on the node's prom-client registry, labelled by rollup id. */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client'
import type { RollupMetrics } from './types.js'

export function createRollupMetrics (registry: Registry): RollupMetrics {
  return {
    height: new Gauge({ name: 'seq_rollup_height', help: 'Last height executed by the rollup executor', labelNames: ['rollup'], registers: [registry] }),
    slicesExecuted: new Counter({ name: 'seq_rollup_slices_executed_total', help: 'Slices (heights) executed, empty ones included', labelNames: ['rollup'], registers: [registry] }),
    leavesExecuted: new Counter({ name: 'seq_rollup_actions_executed_total', help: 'Actions (slice leaves) executed, failed receipts included', labelNames: ['rollup'], registers: [registry] }),
    leavesSkipped: new Counter({ name: 'seq_rollup_actions_skipped_total', help: 'Slice leaves not executed because their sender did not sign them, by reason', labelNames: ['rollup', 'reason'], registers: [registry] }),
    failures: new Counter({ name: 'seq_rollup_failures_total', help: 'Failed runner steps (each is retried), by stage: open, source, execute', labelNames: ['rollup', 'stage'], registers: [registry] }),
    executeSeconds: new Histogram({
      name: 'seq_rollup_execute_seconds',
      help: 'Time to execute and durably commit one height',
      labelNames: ['rollup'],
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.5, 1],
      registers: [registry]
    })
  }
}
