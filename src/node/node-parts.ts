/**
 * Pieces both kinds of node (member: sequencer-node.ts, follower: follower/follower-node.ts)
 * build the same way: the data folder's store, checked at start; the read half of the API
 * backend, served from verified final batches only; rollup lookup by id or name; and the
 * teardown in reverse order that keeps going past a failing part.
 */
import { mkdir } from 'node:fs/promises'
import type { Logger } from 'pino'
import type { ApiBackend, NodeStatus, RollupInfo } from '../api/types.js'
import { ChainStore, checkStoreIntegrity, defaultStartCheckHeights, type ChainStoreOptions } from '../store/index.js'
import { chainRules } from './data-check.js'
import type { Genesis } from './genesis.js'
import type { SliceService } from './slice-service.js'

/** What /v1/status shows of a failing store (null when every write goes through). */
export function storeFaultView (store: ChainStore | null): NodeStatus['storeFault'] {
  const fault = store?.fault() ?? null
  return fault === null ? null : { code: fault.code, path: fault.path, since: new Date(fault.since).toISOString(), message: fault.message }
}

/** Opens (creating if needed) the data folder's store and checks its recent heights. */
export async function openCheckedStore (dataDir: string, genesis: Genesis, opts: ChainStoreOptions = {}): Promise<ChainStore> {
  await mkdir(dataDir, { recursive: true })
  const store = await ChainStore.open(dataDir, genesis.hash, opts)
  try {
    // Recent heights, head, meta and indexes at every start; `seqnode check` does all of it.
    await checkStoreIntegrity(store, chainRules(genesis), { recentHeights: defaultStartCheckHeights })
  } catch (err) {
    await store.close()
    throw err
  }
  return store
}

export function resolveRollup (genesis: Pick<Genesis, 'rollups'>, idOrName: string): RollupInfo | null {
  const asNumber = /^\d+$/.test(idOrName) ? Number(idOrName) : NaN
  const r = genesis.rollups.find((x) => x.id === asNumber || x.name === idOrName)
  return r === undefined ? null : { id: r.id, name: r.name, weight: r.weight }
}

/** The API's reads of final data: batches with their commit proofs, slices, rollup heights. */
export function finalReads (store: ChainStore, slices: SliceService): Pick<ApiBackend, 'finalHeight' | 'getBatch' | 'getSlice' | 'latestRollupHeight'> {
  return {
    finalHeight: () => store.head()?.height ?? -1,
    getBatch: async (height) => {
      const [batch, finality] = await Promise.all([store.getBatch(height), store.getCommitProof(height)])
      if (batch === null || finality === null) return null
      return { batch, finality, hash: finality.headers[0]!.parentHash }
    },
    getSlice: async (rollupId, height) => slices.getSlice(rollupId, height),
    latestRollupHeight: async (rollupId) => store.latestRollupHeight(rollupId)
  }
}

/** Runs each part's stop in the order given; a failure is logged and the rest still stop. */
export async function stopParts (parts: Array<[string, (() => Promise<void>) | null]>, logger: Logger): Promise<void> {
  for (const [name, stop] of parts) {
    if (stop === null) continue
    try {
      await stop()
    } catch (err) {
      logger.error({ err, part: name }, 'error while closing')
    }
  }
}
