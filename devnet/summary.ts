/**
 * The devnet's exit summary (--summary FILE): after the load stops it waits (up to 15 s)
 * for acknowledged txs to show up in final slices, then compares the members' chains.
 */
import { writeFile } from 'node:fs/promises'
import type { LoadGenerator } from './load.js'
import type { SliceWatcher } from './slice-watcher.js'

export interface DevnetSummary {
  nodes: number
  heights: number[]
  /** all reachable nodes hold the same final batch hashes up to the lowest height */
  agreed: boolean
  submitted: number
  acknowledged: number
  committed: number
  rejected: number
  /** acknowledged but not final when the devnet stopped */
  lost: number
  latency_ms: { p50: number | null, p99: number | null }
  /**
   * every member's in-process toy rollups and the external rollup process report the same
   * state root at every height two of them were seen at, and once the idle chain settled
   * all of them reached the same height; null when there is nothing to compare
   */
  state_roots_agree: boolean | null
  /** the last (height, root) of each source per rollup, and the first conflict if any */
  state_roots: StateRootsResult
}

export interface StateRootsResult {
  agree: boolean | null
  /** `${source}/${rollupId}` -> {height, stateRoot} */
  latest: Record<string, { height: number, stateRoot: string }>
  compared: number
  conflict: unknown
  /** false when the sources did not all reach one height before the wait ran out */
  aligned: boolean
}

export async function json<T> (url: string): Promise<T | null> {
  try {
    const res = await fetch(url)
    return res.ok ? await res.json() as T : null
  } catch {
    return null
  }
}

export async function writeSummary (file: string, urls: string[], load: LoadGenerator, watcher: SliceWatcher, settleStateRoots: () => Promise<StateRootsResult>): Promise<DevnetSummary> {
  for (const deadline = Date.now() + 15_000; load.pending.size > 0 && Date.now() < deadline;) await new Promise((r) => setTimeout(r, 100))
  const heights = await Promise.all(urls.map(async (u) => (await json<{ height: number }>(`${u}/v1/status`))?.height ?? -1))
  const low = Math.min(...heights)
  let agreed = heights.length > 0 && low >= 0
  for (let h = 0; h <= low && agreed; h += 64) {
    const range = Array.from({ length: Math.min(64, low - h + 1) }, (_, i) => h + i)
    const rows = await Promise.all(urls.map((u) => Promise.all(range.map(async (x) => (await json<{ hash: string }>(`${u}/v1/blocks/${x}`))?.hash ?? null))))
    agreed = range.every((_x, i) => rows.every((row) => row[i] !== null && row[i] === rows[0]![i]))
  }
  const stateRoots = await settleStateRoots()
  const summary: DevnetSummary = {
    nodes: urls.length,
    heights,
    agreed,
    submitted: load.stats.submitted,
    acknowledged: load.stats.acknowledged,
    committed: watcher.committed,
    rejected: [...load.stats.rejected.values()].reduce((a, b) => a + b, 0),
    lost: load.pending.size,
    latency_ms: {
      p50: watcher.latencyMs.totalCount > 0 ? watcher.latencyMs.getValueAtPercentile(50) : null,
      p99: watcher.latencyMs.totalCount > 0 ? watcher.latencyMs.getValueAtPercentile(99) : null
    },
    state_roots_agree: stateRoots.agree,
    state_roots: stateRoots
  }
  await writeFile(file, JSON.stringify(summary, null, 2) + '\n')
  return summary
}
