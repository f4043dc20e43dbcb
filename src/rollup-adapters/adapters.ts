/**
 * The node's one handle on its rollup adapters: a runner per executor, each fed by a
 * NodeSliceSource over the node's final slices. start() starts them all (stopping those
 * already started if one fails), stop() stops them in reverse.
 */
import { join } from 'node:path'
import { createBuiltinRollup, type BuiltinRollupKind } from './builtin.js'
import { RollupError, RollupErrorCode } from './errors.js'
import { NodeSliceSource, type NodeSliceSourceOptions } from './node-slice-source.js'
import { RollupRunner, type RollupRunnerOptions } from './runner.js'
import type { FinalSliceProvider, RollupExecutor, RollupLogger, RollupMetrics, RollupStatus } from './types.js'

export interface RollupAdaptersDeps {
  /** the node's ApiBackend (only finalHeight, getSlice and onFinal are used) */
  provider: FinalSliceProvider
  logger?: RollupLogger | null
  metrics?: RollupMetrics | null
  runnerOptions?: Partial<RollupRunnerOptions>
  sourceOptions?: Partial<NodeSliceSourceOptions>
}

export interface BuiltinRollupEntry {
  kind: BuiltinRollupKind
  rollupId: number
  /** token allocations; omit for kv */
  genesis?: unknown
}

export class RollupAdapters {
  readonly #runners = new Map<number, { runner: RollupRunner, executor: RollupExecutor }>()

  private constructor () {}

  /** Starts one runner per executor (rollup ids must be distinct). */
  static async start (deps: RollupAdaptersDeps, executors: RollupExecutor[]): Promise<RollupAdapters> {
    const adapters = new RollupAdapters()
    try {
      for (const executor of executors) {
        if (adapters.#runners.has(executor.rollupId)) throw new RollupError(RollupErrorCode.BAD_CONFIG, `two executors for rollup ${executor.rollupId}`)
        const runner = new RollupRunner({
          executor,
          source: new NodeSliceSource(deps.provider, executor.rollupId, deps.sourceOptions, deps.metrics ?? null),
          logger: deps.logger,
          metrics: deps.metrics,
          options: deps.runnerOptions
        })
        await runner.start()
        adapters.#runners.set(executor.rollupId, { runner, executor })
      }
    } catch (err) {
      await adapters.stop()
      throw err
    }
    return adapters
  }

  runner (rollupId: number): RollupRunner | null {
    return this.#runners.get(rollupId)?.runner ?? null
  }

  /** The executor (e.g. a TokenRollup for balance queries); null if the rollup has none here. */
  executor (rollupId: number): RollupExecutor | null {
    return this.#runners.get(rollupId)?.executor ?? null
  }

  /** For `GET /v1/rollups/:id/state`: null if this node runs no executor for the rollup. */
  status (rollupId: number): RollupStatus | null {
    return this.#runners.get(rollupId)?.runner.status() ?? null
  }

  statuses (): RollupStatus[] {
    return [...this.#runners.values()].map((r) => r.runner.status())
  }

  /** Stops every runner (last started first) and closes its executor; safe to call twice. */
  async stop (): Promise<void> {
    const entries = [...this.#runners.values()].reverse()
    this.#runners.clear()
    const errors: unknown[] = []
    for (const { runner } of entries) {
      try {
        await runner.stop()
      } catch (err) {
        errors.push(err)
      }
    }
    if (errors.length > 0) throw new AggregateError(errors, 'stopping rollup runners failed')
  }
}

/**
 * Creates the built-in rollups, each in `join(rollupsDir, String(rollupId))`, and starts
 * their runners. The one call the node needs.
 */
export async function startBuiltinRollups (
  deps: RollupAdaptersDeps & { chainId: string, rollupsDir: string },
  rollups: BuiltinRollupEntry[]
): Promise<RollupAdapters> {
  // Build every executor first, so a bad config fails before anything is opened.
  const executors = rollups.map((r) => createBuiltinRollup(r.kind, { rollupId: r.rollupId, dir: join(deps.rollupsDir, String(r.rollupId)), chainId: deps.chainId, genesis: r.genesis }))
  return await RollupAdapters.start(deps, executors)
}
