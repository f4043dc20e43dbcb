/**
 * A member's store writes per consensus round, in one process with the real ChainStore on
 * level: each round accepts a pending block, writes the safety state (synced, before the
 * vote) and then commits the block two rounds back (final batch with its indexes, WAL
 * removals, pending-block delete), as the driver does. `--hold MS` is the write-behind hold
 * (0 = main's next-turn write; MEMBER_WRITE_BEHIND_MS = 25 on perf3), `--gap MS` the time
 * between rounds. CPU = user + system of the process per round (level's thread pool
 * included), and level writes per round.
 *
 *   node --import tsx bench/store/round-writes.ts --hold 0 --gap 5
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { sha256 } from '../../src/crypto/index.js'
import { ChainStore, StoreFaults, type StoreWritePath } from '../../src/store/index.js'

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(name)
  return i >= 0 ? Number(process.argv[i + 1]) : fallback
}
const hold = arg('--hold', 0)
const gapMs = arg('--gap', 5)
const rounds = arg('--rounds', 400)
const txsPerRound = arg('--txs', 14)

/** counts level writes; nothing fails */
class WriteCount extends StoreFaults {
  writes = 0
  override async beforeWrite (paths: ReadonlySet<StoreWritePath>): Promise<void> {
    this.writes++
    await super.beforeWrite(paths)
  }
}

const dir = await mkdtemp(join(tmpdir(), 'round-writes-'))
const count = new WriteCount()
const store = await ChainStore.open(dir, sha256(new Uint8Array([1])), { writeBehindMs: hold, faults: count })
const blockBytes = new Uint8Array(txsPerRound * 400).fill(3)
const hashOf = (round: number, what: number): Uint8Array => sha256(new Uint8Array([what, round & 255, (round >> 8) & 255, (round >> 16) & 255]))

async function round (r: number): Promise<void> {
  void store.putPendingBlock(hashOf(r, 0), blockBytes)
  await store.putSafetyState(new Uint8Array(120).fill(r & 255))
  if (r < 2) return
  const height = r - 2
  void store.putFinalBatch({
    height,
    hash: hashOf(height, 0),
    batchBytes: blockBytes,
    commitProofBytes: new Uint8Array(300).fill(1),
    txHashes: Array.from({ length: txsPerRound }, (_, i) => hashOf(height, 10 + i)),
    rollupCounts: [{ rollupId: 1, count: txsPerRound / 2 }, { rollupId: 2, count: txsPerRound / 2 }]
  })
}

for (let r = 0; r < 50; r++) { await round(r); await sleep(gapMs) }
await store.flushed()
const writes0 = count.writes
const cpu0 = process.cpuUsage()
for (let r = 50; r < 50 + rounds; r++) { await round(r); await sleep(gapMs) }
await store.flushed()
const cpu = process.cpuUsage(cpu0)
console.log(JSON.stringify({ hold_ms: hold, gap_ms: gapMs, rounds, txs_per_round: txsPerRound, level_writes_per_round: Number(((count.writes - writes0) / rounds).toFixed(2)), cpu_us_per_round: Math.round((cpu.user + cpu.system) / rounds) }))
await store.close()
await rm(dir, { recursive: true, force: true })
