/**
 * Pacing A/B in one process (issue #11): a 4-member committee of consensus drivers over the
 * in-process network (test/helpers/cluster.ts, real stores and mempools), offered a steady
 * load of pre-signed txs, with the leader's hold off (maxHoldMs 0: main's behaviour) and on,
 * alternating. Reports final blocks per second, txs per block, this process's CPU per block
 * and per final tx, and submit -> final latency at the admitting member. No libp2p, HTTP or
 * client: the figures are the consensus and chunk path's share, on a shared machine.
 *
 *   node --import ./src/polyfills/register.js --import tsx bench/pacing-inprocess.ts [rate] [seconds] [pairs]
 */
import { defaultPacingOptions } from '../src/ordering/proposer.js'
import { Cluster } from '../test/helpers/cluster.js'
import { makeTx } from '../test/helpers/txs.js'

const rate = Number(process.argv[2] ?? 200)
const seconds = Number(process.argv[3] ?? 8)
const pairs = Number(process.argv[4] ?? 2)

interface Result { side: string, rounds: number, blocks: number, held: number, blocksPerS: number, txsPerBlock: number, cpuUsPerBlock: number, cpuUsPerTx: number, p50: number, p99: number, final: number, offered: number }

async function run (side: 'off' | 'on'): Promise<Result> {
  const pacing = side === 'on' ? defaultPacingOptions : { ...defaultPacingOptions, maxHoldMs: 0 }
  const cluster = await Cluster.start(4, { pacing })
  try {
    const total = Math.round(rate * seconds)
    const txs = Array.from({ length: total }, (_, i) => makeTx({ rollups: [1 + (i % 2)] }).bytes)
    const submitted = new Map<string, number>()
    const latencies: number[] = []
    for (const m of cluster.live()) {
      const finals = m.finals
      finals.push = (...events) => {
        const now = performance.now()
        for (const e of events) for (const entry of e.finalEntries) {
          const at = submitted.get(entry.hashHex)
          if (at !== undefined) latencies.push(now - at)
        }
        return Array.prototype.push.apply(finals, events)
      }
    }
    const member0 = cluster.live()[0]!
    const startHeight = member0.store.head()?.height ?? -1
    const startRound = member0.driver.core.round
    const cpu0 = process.cpuUsage()
    const t0 = performance.now()
    for (let i = 0; i < total; i++) {
      const due = t0 + (i * 1000) / rate
      const wait = due - performance.now()
      if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait))
      const member = cluster.live()[i % 4]!
      const at = performance.now()
      const admitted = await member.mempool.admit(txs[i]!)
      submitted.set(admitted.hashHex, at)
    }
    const deadline = performance.now() + 20_000
    while (latencies.length < total && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10))
    const elapsed = (performance.now() - t0) / 1000
    const cpu = process.cpuUsage(cpu0)
    const blocks = (member0.store.head()?.height ?? -1) - startHeight
    const cpuUs = cpu.user + cpu.system
    latencies.sort((a, b) => a - b)
    const q = (p: number): number => Math.round(latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))]! * 10) / 10
    const held = cluster.live().reduce((sum, m) => sum + m.driver.proposalsHeld, 0)
    return { side, rounds: member0.driver.core.round - startRound, blocks, held, blocksPerS: Math.round(blocks / elapsed), txsPerBlock: Math.round((latencies.length / blocks) * 10) / 10, cpuUsPerBlock: Math.round(cpuUs / blocks), cpuUsPerTx: Math.round(cpuUs / latencies.length), p50: q(0.5), p99: q(0.99), final: latencies.length, offered: total }
  } finally {
    await cluster.stop()
  }
}

const results: Result[] = []
for (let i = 0; i < pairs; i++) {
  for (const side of ['off', 'on'] as const) {
    const r = await run(side)
    results.push(r)
    console.log(JSON.stringify(r))
  }
}
