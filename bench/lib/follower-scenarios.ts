/**
 * The follower scenarios of the bench (issue 16's goals), each a calm run and the scenario
 * back to back with the same load through the members:
 *
 * - `followers-stream`: no followers, then K followers (`--followers`, default 8), each
 *   streamed by a subscriber for every rollup from the first height of the window. The
 *   members' latency is compared (goal: p50 and p99 within 1.2x), and every follower must
 *   deliver each height exactly once. The subscribers count heights (msgpack slices,
 *   decoded, not verified: the follower verified them before serving, and the bench's
 *   client shares the cores with the members).
 * - `follower-flood`: one idle follower in both runs; in the second a rogue public peer
 *   (a PublicNetwork in this process, with a fresh identity) floods RelayBundles of txs with
 *   bad signatures at `--flood-txs` tx/s from the start of the window (goal: cut off by
 *   every member within 2 s, members' p99 within 1.5x of calm).
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import WebSocket from 'ws'
import { decode, encode, MAX_RELAY_BUNDLE_TXS, RelayBundleSchema, SliceSchema, TxSchema } from '../../src/codec/index.js'
import { generateKeyPair } from '../../src/crypto/index.js'
import { initFollower } from '../../src/node/init-follower.js'
import { parseGenesis } from '../../src/node/genesis.js'
import { PublicNetwork } from '../../src/p2p/public-network.js'
import { peerIdFromCommitteeKey } from '../../src/p2p/identity.js'
import type { Committee } from './committee.js'
import type { RunHook } from './run.js'

const sleep = async (ms: number): Promise<void> => { await new Promise((resolve) => setTimeout(resolve, Math.max(0, ms))) }

async function finalHeight (url: string): Promise<number> {
  const res = await fetch(`${url}/v1/status`, { signal: AbortSignal.timeout(5000) })
  return (await res.json() as { height: number }).height
}

/** Every follower streamed for every rollup; `finish` checks each height came exactly once. */
export function followerStreamsHook (): RunHook {
  let committee: Committee | null = null
  let from = 0
  const sockets: WebSocket[] = []
  /** [follower][rollup] height -> deliveries */
  const counts: Array<Array<Map<number, number>>> = []
  const errors: string[] = []
  return {
    start: async (ctx) => {
      committee = ctx.committee
      from = ctx.fromHeight
      for (const f of ctx.committee.followers) {
        const perRollup: Array<Map<number, number>> = []
        counts.push(perRollup)
        for (const r of ctx.committee.rollups) {
          const byHeight = new Map<number, number>()
          perRollup.push(byHeight)
          const ws = new WebSocket(`${f.url.replace(/^http/, 'ws')}/v1/rollups/${r.id}/stream?from=${from}&format=msgpack`)
          ws.binaryType = 'nodebuffer'
          ws.on('message', (data: Buffer, isBinary: boolean) => {
            if (!isBinary) return
            try {
              const height = decode(SliceSchema, new Uint8Array(data.buffer, data.byteOffset, data.byteLength)).header.height
              byHeight.set(height, (byHeight.get(height) ?? 0) + 1)
            } catch (err) {
              errors.push(`${f.name} rollup ${r.id}: ${(err as Error).message}`)
            }
          })
          ws.on('error', (err) => { errors.push(`${f.name} rollup ${r.id}: ${err.message}`) })
          sockets.push(ws)
        }
      }
    },
    finish: async () => {
      const c = committee!
      const target = Math.min(...await Promise.all(c.members.map(async (m) => finalHeight(m.url).catch(() => -1))))
      const deadline = performance.now() + 15_000
      while (performance.now() < deadline && !counts.every((perRollup) => perRollup.every((m) => m.has(target)))) await sleep(100)
      const followers = c.followers.map((f, k) => ({
        name: f.name,
        rollups: c.rollups.map((r, ri) => {
          const byHeight = counts[k]![ri]!
          let missing = 0
          for (let h = from; h <= target; h++) if (!byHeight.has(h)) missing++
          return { rollup: r.name, delivered: byHeight.size, duplicates: [...byHeight.values()].filter((n) => n > 1).length, missing }
        })
      }))
      const exactlyOnce = followers.every((f) => f.rollups.every((r) => r.duplicates === 0 && r.missing === 0))
      return { kind: 'followers-stream', from_height: from, to_height: target, streams: sockets.length, every_height_exactly_once: exactlyOnce, followers, errors: errors.slice(0, 10) }
    },
    stop: async () => { for (const ws of sockets) ws.terminate() }
  }
}

/** The members' public addresses (with /p2p/), as a follower's config names them. */
async function memberBootstrap (home: string): Promise<string[]> {
  const made = await initFollower({ home, dir: join(home, 'rogue'), apiPort: 0, publicPort: 0 })
  const config = JSON.parse(await readFile(made.configFile, 'utf8')) as { public: { bootstrap: string[] } }
  return config.public.bootstrap
}

/** Encoded txs that decode and name a genesis rollup, with a random (so bad) signature. */
function invalidTxs (count: number, rollupIds: number[]): Uint8Array[] {
  const sender = generateKeyPair().publicKey
  return Array.from({ length: count }, (_, i) => encode(TxSchema, {
    version: 1,
    sender,
    nonce: Number(randomBytes(4).readUInt32BE(0)),
    expiry: Date.now() + 600_000,
    actions: [{ rollupId: rollupIds[i % rollupIds.length]!, payload: randomBytes(256) }],
    signature: randomBytes(64)
  } as never))
}

export function followerFloodHook (opts: { txsPerSecond: number }): RunHook {
  let rogue: PublicNetwork | null = null
  let memberPeers: string[] = []
  let floodStart = 0
  let cutOffMs: number | null = null
  let sentTxs = 0
  let sentBundles = 0
  let publishErrors = 0
  let running = true
  let flood: Promise<void> = Promise.resolve()
  const connectedMembers = (): number => memberPeers.filter((p) => rogue!.connectedPeers().includes(p)).length
  return {
    start: async (ctx) => {
      const genesis = parseGenesis(JSON.parse(ctx.committee.genesisText))
      memberPeers = genesis.committeeKeys.map((k) => peerIdFromCommitteeKey(k).toString())
      rogue = new PublicNetwork({ chainId: ctx.committee.chainId, seed: generateKeyPair().seed, listen: ['/ip4/127.0.0.1/tcp/0'], bootstrap: await memberBootstrap(ctx.committee.home), maxMessageBytes: 1024 * 1024 })
      rogue.onTx(() => 'ignore')
      rogue.onFinalBatch(() => 'ignore')
      await rogue.start()
      const deadline = performance.now() + 20_000
      while (connectedMembers() < memberPeers.length) {
        if (performance.now() > deadline) throw new Error(`the flooder reached ${connectedMembers()} of ${memberPeers.length} members`)
        await sleep(50)
      }
      await sleep(1500) // gossipsub learns the subscriptions with its heartbeat
      const rollupIds = ctx.committee.rollups.map((r) => r.id)
      const pool = invalidTxs(4096, rollupIds)
      flood = (async () => {
        await sleep(ctx.rec.measureStart - performance.now())
        floodStart = performance.now()
        const tickMs = 10
        const perTick = opts.txsPerSecond * tickMs / 1000
        let owed = 0
        let offset = 0
        while (running && !ctx.signal.aborted && performance.now() < ctx.rec.loadEnd) {
          owed += perTick
          while (owed >= 1) {
            const n = Math.min(MAX_RELAY_BUNDLE_TXS, Math.ceil(owed))
            // a fresh mix each time, so every bundle has its own message id
            const txs = Array.from({ length: n }, (_, i) => pool[(offset + i * 61) % pool.length]!)
            offset++
            owed -= n
            if (cutOffMs === null) { sentBundles++; sentTxs += n }
            await rogue!.publishTxs(encode(RelayBundleSchema, { version: 1, txs })).catch(() => { publishErrors++ })
          }
          if (cutOffMs === null && connectedMembers() === 0) cutOffMs = Math.round(performance.now() - floodStart)
          await sleep(tickMs)
        }
      })()
    },
    finish: async () => {
      running = false
      await flood
      // The rogue keeps redialling its bootstrap members, and a refused dial shows as open on
      // its side until the member closes it: a member holds the connection only if it is
      // there in every sample of a second.
      let stillConnected = rogue === null ? null : connectedMembers()
      for (let i = 0; i < 10 && stillConnected !== null && stillConnected > 0; i++) {
        await sleep(100)
        stillConnected = Math.min(stillConnected, connectedMembers())
      }
      return {
        kind: 'follower-flood',
        flood_txs_per_s: opts.txsPerSecond,
        sent_txs_before_cut_off: sentTxs,
        sent_bundles_before_cut_off: sentBundles,
        publish_errors: publishErrors,
        cut_off_ms: cutOffMs,
        members_still_connected: stillConnected
      }
    },
    stop: async () => {
      running = false
      await flood.catch(() => {})
      await rogue?.stop()
    }
  }
}

export type FollowerScenario = 'followers-stream' | 'follower-flood'

/** The two runs of a follower scenario and a note for the report. */
export function followerScenarioPlan (scenario: FollowerScenario, o: { nodes: number, followers: number, floodTxs: number }): { runs: Array<{ kind: 'sequencer', nodes: number, label: string, followers: number, hook?: () => RunHook }>, note: string } {
  if (scenario === 'followers-stream') {
    const k = o.followers > 0 ? o.followers : 8
    return {
      runs: [{ kind: 'sequencer', nodes: o.nodes, label: 'healthy', followers: 0 }, { kind: 'sequencer', nodes: o.nodes, label: `followers-${k}-streaming`, followers: k, hook: followerStreamsHook }],
      note: `followers-stream: a run without followers (healthy), then ${k} followers each streamed for every rollup from the window's first height (subscribers count heights); load through the members, latency at member --subscribe-member in both`
    }
  }
  const k = Math.max(1, o.followers)
  return {
    runs: [{ kind: 'sequencer', nodes: o.nodes, label: 'healthy', followers: k }, { kind: 'sequencer', nodes: o.nodes, label: 'follower-flood', followers: k, hook: () => followerFloodHook({ txsPerSecond: o.floodTxs }) }],
    note: `follower-flood: ${k} idle follower(s) in both runs (healthy = calm); in the second a rogue public peer floods bundles of ${o.floodTxs} txs/s with bad signatures from the start of the window; load through the members`
  }
}

/** p50 (ms) of one Prometheus histogram series from its cumulative buckets, linearly within a bucket */
function histogramP50Ms (buckets: Array<[number, number]>): number | null {
  buckets.sort((x, y) => x[0] - y[0])
  const total = buckets.at(-1)?.[1] ?? 0
  if (total <= 0) return null
  let lower = 0
  let below = 0
  for (const [le, count] of buckets) {
    if (count >= total / 2) {
      const seconds = Number.isFinite(le) ? lower + (le - lower) * (total / 2 - below) / Math.max(1, count - below) : lower
      return Math.round(seconds * 10_000) / 10
    }
    lower = le
    below = count
  }
  return null
}

/**
 * Per follower, over the measured window (metric deltas), by the path of a final batch's
 * first copy (`push`, `topic`, `sync`): `lag` its age (now - header timestamp) on arrival,
 * `intake` from arrival to the follower's streams being told (checks and store): batches and p50.
 */
export function followerStages (names: string[], before: Map<string, Map<string, number> | null> | undefined, after: Map<string, Map<string, number> | null>): Record<string, Record<string, { batches: number, p50_ms: number | null }>> {
  const out: Record<string, Record<string, { batches: number, p50_ms: number | null }>> = {}
  const metrics = { lag: 'seq_follower_final_lag_seconds_bucket{', intake: 'seq_follower_final_intake_seconds_bucket{' }
  for (const name of names) {
    const a = after.get(name)
    if (a === null || a === undefined) continue
    const b = before?.get(name) ?? null
    const series = new Map<string, Array<[number, number]>>()
    for (const [key, value] of a) {
      const stage = Object.entries(metrics).find(([, prefix]) => key.startsWith(prefix))
      if (stage === undefined) continue
      const labels = Object.fromEntries([...key.slice(stage[1].length, -1).matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]))
      const id = `${stage[0]}/${labels.via}`
      const list = series.get(id) ?? []
      list.push([labels.le === '+Inf' ? Number.POSITIVE_INFINITY : Number(labels.le), value - (b?.get(key) ?? 0)])
      series.set(id, list)
    }
    const mine: Record<string, { batches: number, p50_ms: number | null }> = {}
    for (const [id, list] of series) {
      const batches = Math.max(...list.map(([, count]) => count))
      if (batches > 0) mine[id] = { batches, p50_ms: histogramP50Ms(list) }
    }
    out[name] = mine
  }
  return out
}
