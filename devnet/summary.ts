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
  /** null until in-process rollups report state roots */
  state_roots_agree: boolean | null
}

async function json<T> (url: string): Promise<T | null> {
  try {
    const res = await fetch(url)
    return res.ok ? await res.json() as T : null
  } catch {
    return null
  }
}

export async function writeSummary (file: string, urls: string[], load: LoadGenerator, watcher: SliceWatcher): Promise<DevnetSummary> {
  for (const deadline = Date.now() + 15_000; load.pending.size > 0 && Date.now() < deadline;) await new Promise((r) => setTimeout(r, 100))
  const heights = await Promise.all(urls.map(async (u) => (await json<{ height: number }>(`${u}/v1/status`))?.height ?? -1))
  const low = Math.min(...heights)
  let agreed = heights.length > 0 && low >= 0
  for (let h = 0; h <= low && agreed; h += 64) {
    const range = Array.from({ length: Math.min(64, low - h + 1) }, (_, i) => h + i)
    const rows = await Promise.all(urls.map((u) => Promise.all(range.map(async (x) => (await json<{ hash: string }>(`${u}/v1/blocks/${x}`))?.hash ?? null))))
    agreed = range.every((_x, i) => rows.every((row) => row[i] !== null && row[i] === rows[0]![i]))
  }
  const stateRoots = await Promise.all(urls.map((u) => json<Array<{ rollupId: number, height: number, stateRoot: string }>>(`${u}/v1/rollups/state`)))
  let stateRootsAgree: boolean | null = null
  if (stateRoots.every((s) => s !== null && s.length > 0)) {
    // Compare at the lowest height every node reports for each rollup: it is the one all have executed.
    stateRootsAgree = stateRoots.every((s) => JSON.stringify(s!.map((r) => r.rollupId)) === JSON.stringify(stateRoots[0]!.map((r) => r.rollupId)))
    if (stateRootsAgree) {
      for (const [i, r] of stateRoots[0]!.entries()) {
        const sameHeight = stateRoots.every((s) => s![i]!.height === r.height)
        if (sameHeight && !stateRoots.every((s) => s![i]!.stateRoot === r.stateRoot)) stateRootsAgree = false
      }
    }
  }
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
    state_roots_agree: stateRootsAgree
  }
  await writeFile(file, JSON.stringify(summary, null, 2) + '\n')
  return summary
}
