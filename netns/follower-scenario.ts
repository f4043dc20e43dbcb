/**
 * The followers' checks on a `PublicLab`: load submitted at the followers only, and on every
 * follower one verified slice stream per rollup from height 0 (the SDK with the node's own
 * slice check). After the load: every acknowledged tx must show up in a verified slice on
 * every follower, and every follower must have delivered each height 0..H (H = the members'
 * final height when the load stopped) exactly once per rollup. Used by
 * `npm run lab:followers` and test/netns/followers.test.ts.
 */
import WebSocket from 'ws'
import { committeeFromGenesis, SequencerClient, type SliceSubscription } from '../src/client/index.js'
import { LoadGenerator } from '../devnet/load.js'
import { createBenchVerifier } from '../bench/lib/node-verifier.js'
import type { LabProcess, PublicLab } from './public-lab.js'

export interface FollowerReport {
  name: string
  /** per rollup: heights delivered, duplicates, missing in 0..H */
  rollups: Array<{ rollup: number, delivered: number, duplicates: number, missing: number }>
  /** acknowledged txs not seen in this follower's slices */
  txsMissing: number
  streamErrors: string[]
}

export interface ScenarioReport {
  /** the members' lowest final height once every tx was final: every follower must deliver 0..H */
  targetHeight: number
  acknowledged: number
  rejected: Record<string, number>
  failedSubmits: number
  /** submit (at a follower) -> the first verified slice holding it, on any follower, ms */
  finalMs: { p50: number | null, p99: number | null, count: number }
  followers: FollowerReport[]
  /** all checks held */
  ok: boolean
  /** how long after the load stopped every follower was complete */
  settledMs: number | null
}

const sleep = async (ms: number): Promise<void> => { await new Promise((resolve) => setTimeout(resolve, ms)) }

export async function runFollowerScenario (net: PublicLab, opts: { tps: number, loadMs: number, settleTimeoutMs: number, log?: (line: string) => void }): Promise<ScenarioReport> {
  const committee = committeeFromGenesis(net.genesisText)
  const verifier = createBenchVerifier(committee, 'node')
  const rollups = net.genesis.rollups.map((r) => r.id)
  const counts = net.followers.map(() => new Map<number, Map<number, number>>(rollups.map((r) => [r, new Map()])))
  const seen = net.followers.map(() => new Set<string>())
  const firstSeen = new Map<string, number>()
  const errors: string[][] = net.followers.map(() => [])
  const subs: SliceSubscription[] = []
  const load = new LoadGenerator(net.followers.map((f) => f.url), net.genesis.chainId, rollups)
  try {
    for (const [k, f] of net.followers.entries()) {
      const client = new SequencerClient({ url: f.url, committee, WebSocket: WebSocket as never, verifier })
      for (const rollup of rollups) {
        const sub = client.subscribeSlices({
          rollup,
          from: 0,
          reconnect: { maxDelayMs: 500 },
          onSlice: (slice) => {
            const byHeight = counts[k]!.get(rollup)!
            byHeight.set(slice.height, (byHeight.get(slice.height) ?? 0) + 1)
            const now = performance.now()
            for (const leaf of slice.txs) {
              seen[k]!.add(leaf.txHash)
              if (!firstSeen.has(leaf.txHash)) firstSeen.set(leaf.txHash, now)
            }
          },
          onError: (err) => { errors[k]!.push(`${(err as { code?: string }).code ?? 'ERROR'}: ${(err as Error).message}`) }
        })
        sub.done.catch((err: Error) => { errors[k]!.push(`stream ended: ${err.message}`) })
        subs.push(sub)
      }
    }
    // members linked, every follower on the public network, before any load
    const readyBy = performance.now() + opts.settleTimeoutMs
    for (;;) {
      const [members, followers] = await Promise.all([net.members, net.followers].map(async (ps) => Promise.all(ps.map(async (p) => (await net.status(p).catch(() => null))?.peers ?? -1))))
      if (members!.every((p) => p >= net.members.length - 1) && followers!.every((p) => p >= 1)) break
      if (performance.now() > readyBy) throw new Error(`not connected after ${opts.settleTimeoutMs} ms: member peers ${members!.join('/')}, follower peers ${followers!.join('/')}`)
      await sleep(200)
    }
    load.start(opts.tps)
    const loadStart = performance.now()
    while (performance.now() - loadStart < opts.loadMs) {
      await sleep(1000)
      opts.log?.(`load ${((performance.now() - loadStart) / 1000).toFixed(0)} s: ${load.stats.acknowledged} acked; follower heights ${(await net.heights(net.followers)).join('/')}`)
    }
    await load.stop()
    const stoppedAt = performance.now()
    const acked = [...load.pending.keys()]
    const deadline = stoppedAt + opts.settleTimeoutMs
    // every acknowledged tx final on every follower, then every height up to the members' head delivered
    while (performance.now() < deadline && !net.followers.every((_, k) => acked.every((h) => seen[k]!.has(h)))) await sleep(200)
    const targetHeight = Math.min(...await net.heights(net.members))
    let settledMs: number | null = null
    while (performance.now() < deadline) {
      if (targetHeight >= 0 && net.followers.every((_, k) => acked.every((h) => seen[k]!.has(h)) && rollups.every((r) => counts[k]!.get(r)!.has(targetHeight)))) { settledMs = Math.round(performance.now() - stoppedAt); break }
      await sleep(200)
    }
    const followers: FollowerReport[] = net.followers.map((f: LabProcess, k) => ({
      name: f.name,
      rollups: rollups.map((rollup) => {
        const byHeight = counts[k]!.get(rollup)!
        let missing = 0
        for (let h = 0; h <= targetHeight; h++) if (!byHeight.has(h)) missing++
        return { rollup, delivered: byHeight.size, duplicates: [...byHeight.values()].filter((c) => c > 1).length, missing }
      }),
      txsMissing: acked.filter((h) => !seen[k]!.has(h)).length,
      streamErrors: errors[k]!.slice(0, 5)
    }))
    const latencies = acked.flatMap((h) => firstSeen.has(h) ? [firstSeen.get(h)! - load.pending.get(h)!] : []).sort((a, b) => a - b)
    const q = (p: number): number | null => latencies.length === 0 ? null : Math.round(latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))]!)
    const ok = acked.length > 0 && targetHeight >= 0 && followers.every((f) => f.txsMissing === 0 && f.rollups.every((r) => r.duplicates === 0 && r.missing === 0))
    return {
      targetHeight,
      acknowledged: acked.length,
      rejected: Object.fromEntries(load.stats.rejected),
      failedSubmits: load.stats.failed,
      finalMs: { p50: q(0.5), p99: q(0.99), count: latencies.length },
      followers,
      ok,
      settledMs
    }
  } finally {
    await load.stop()
    for (const sub of subs) sub.close()
    await Promise.allSettled(subs.map(async (s) => s.done))
  }
}
