/**
 * Crash-consistency campaign: starts test/durability/writer.ts on one data folder, SIGKILLs
 * it at a seeded random moment (during start-up recovery or under steady writes), reopens
 * the folder and checks the invariants below; repeats; finally lets a last writer drain the
 * mempool and checks that every acknowledged tx is final exactly once.
 *
 * Invariants after every kill (2 and 4 over the whole chain every tenth kill and at the
 * end, over the heights written since the previous check and 32 below in between):
 * 1. the store opens (no level corruption, genesis and format records, head's batch there);
 * 2. the full integrity check passes: heights 0..head present, hash-chained, each commit
 *    proof verifies, each batch validates, every hash->height, tx location and rollup
 *    index entry agrees with the batches and none is left over, nothing above the head;
 * 3. every tx the writer acknowledged (admit resolved) is in exactly one of WAL or chain,
 *    and no WAL entry is a final tx;
 * 4. every final batch the writer was told is durable is there, with the same hash;
 * 5. the stored safety state is at least every state the writer was told is durable, and
 *    the head and the safety state never go backwards from one reopen to the next.
 */
import { spawn } from 'node:child_process'
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { decode, SafetyStateSchema } from '../../src/codec/index.js'
import { bytesToHex, equalBytes, hexToBytes } from '../../src/crypto/index.js'
import { ChainStore, checkStoreIntegrity, defaultStartCheckHeights } from '../../src/store/index.js'
import { repoRoot } from '../helpers/node-process.js'
import { crashGenesis, crashRules, mulberry32 } from './crash-genesis.js'

export interface CampaignOptions {
  dir: string
  kills: number
  seed: number
  /** longest wait after READY before the kill (ms) */
  maxRunMs?: number
  onKill?: (result: KillResult) => void
}

export interface KillResult {
  kill: number
  /** 'startup' kills land anywhere from spawn on (recovery writes included) */
  when: 'startup' | 'running'
  delayMs: number
  head: number
  acked: number
  walEntries: number
  violations: string[]
}

export interface CampaignResult {
  kills: KillResult[]
  acked: number
  finalHead: number
  finalViolations: string[]
  ms: number
}

interface Safety { vote: number, qc: number, proposed: number }

interface Claims {
  acked: Set<string>
  finals: Map<number, string>
  safety: Safety
}

const WRITER = join(repoRoot, 'test/durability/writer.ts')

/**
 * The writer bundled into one ES module (esbuild comes with tsx): it starts in ~0.6 s
 * instead of ~1.2 s through the tsx loader, which doubles the kills per minute. The bundle
 * sits under node_modules/.cache so that its package imports resolve; tsx is the fallback.
 */
async function writerCommand (): Promise<{ args: string[], remove: () => Promise<void> }> {
  const outfile = join(repoRoot, 'node_modules/.cache/durability', `writer-${process.pid}-${Date.now()}.mjs`)
  try {
    const esbuild = await import('esbuild')
    await esbuild.build({ entryPoints: [WRITER], bundle: true, platform: 'node', format: 'esm', packages: 'external', target: 'node20', outfile, logLevel: 'error' })
    return { args: ['--import', './src/polyfills/register.js', outfile], remove: async () => { await rm(outfile, { force: true }) } }
  } catch {
    return { args: ['--import', './src/polyfills/register.js', '--import', 'tsx', WRITER], remove: async () => {} }
  }
}

interface WriterRun {
  ready: Promise<void>
  drained: Promise<void>
  kill: () => Promise<void>
  exited: Promise<number | null>
  stderr: () => string
}

function startWriter (command: string[], dir: string, seed: number, claims: Claims, drain = false): WriterRun {
  const child = spawn(process.execPath, [...command, dir, String(seed), ...(drain ? ['--drain'] : [])], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let err = ''
  child.stderr.setEncoding('utf8')
  child.stderr.on('data', (s: string) => { err = (err + s).slice(-8000) })
  const ready = Promise.withResolvers<void>()
  const drained = Promise.withResolvers<void>()
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)))
  void exited.then((code) => {
    ready.reject(new Error(`writer exited (${code}) before READY: ${err}`))
    drained.reject(new Error(`writer exited (${code}) before DRAINED: ${err}`))
  })
  // Lines the child wrote before it died are still read from the pipe: each is a durable claim.
  createInterface({ input: child.stdout }).on('line', (line) => {
    const [kind, a, b, c] = line.split(' ')
    if (kind === 'A') claims.acked.add(a!)
    else if (kind === 'F') claims.finals.set(Number(a), b!)
    else if (kind === 'S') claims.safety = maxSafety(claims.safety, { vote: Number(a), qc: Number(b), proposed: Number(c) })
    else if (kind === 'READY') ready.resolve()
    else if (kind === 'DRAINED') drained.resolve()
  })
  ready.promise.catch(() => {})
  drained.promise.catch(() => {})
  return {
    ready: ready.promise,
    drained: drained.promise,
    kill: async () => { child.kill('SIGKILL'); await exited },
    exited,
    stderr: () => err
  }
}

function maxSafety (a: Safety, b: Safety): Safety {
  return { vote: Math.max(a.vote, b.vote), qc: Math.max(a.qc, b.qc), proposed: Math.max(a.proposed, b.proposed) }
}

/** Reopens the folder and checks invariants 1-5; returns the problems found. */
export async function checkFolder (dir: string, claims: Claims, previous: { head: number, safety: Safety }, full = true): Promise<{ head: number, safety: Safety, walEntries: number, violations: string[] }> {
  const violations: string[] = []
  let store: ChainStore
  try {
    store = await ChainStore.open(dir, crashGenesis.hash)
  } catch (err) {
    return { head: -1, safety: previous.safety, walEntries: 0, violations: [`store does not open: ${(err as Error).message}`] }
  }
  try {
    // Between full checks: every height written since the last check, and the start-check depth below it.
    const recentHeights = full ? undefined : (store.head()?.height ?? -1) - previous.head + defaultStartCheckHeights
    try {
      await checkStoreIntegrity(store, crashRules, recentHeights === undefined ? {} : { recentHeights })
    } catch (err) {
      violations.push(`integrity: ${(err as Error).message}`)
    }
    const head = store.head()?.height ?? -1
    if (head < previous.head) violations.push(`head went back from ${previous.head} to ${head}`)
    for (const [height, hash] of claims.finals) {
      if (!full && height <= previous.head - defaultStartCheckHeights) continue
      if (height > head) { violations.push(`final batch ${height} was acknowledged but the head is ${head}`); continue }
      const batch = await store.getBatch(height)
      if (batch === null || bytesToHex(crashRules.batchHash(batch.header)) !== hash) violations.push(`acknowledged final batch ${height} differs`)
    }
    const wal = await store.walEntries()
    const inWal = new Set(wal.map((e) => bytesToHex(e.hash)))
    const walFinal = (await store.txLocations(wal.map((e) => e.hash))).filter((l) => l !== null).length
    if (walFinal > 0) violations.push(`${walFinal} WAL entries are final txs too`)
    const acked = [...claims.acked]
    const locations = await store.txLocations(acked.map((h) => hexToBytes(h)!))
    const lost = acked.filter((h, i) => !inWal.has(h) && locations[i] === null)
    if (lost.length > 0) violations.push(`${lost.length} acknowledged txs are in neither WAL nor chain (e.g. ${lost[0]})`)
    const raw = await store.getSafetyState()
    const stored = raw === null ? { vote: 0, qc: 0, proposed: 0 } : (({ highestVoteRound: vote, highestQcRound: qc, lastProposedRound: proposed }) => ({ vote, qc, proposed }))(decode(SafetyStateSchema, raw))
    for (const k of ['vote', 'qc', 'proposed'] as const) {
      if (stored[k] < claims.safety[k]) violations.push(`safety ${k} round ${stored[k]} is below the acknowledged ${claims.safety[k]}`)
      if (stored[k] < previous.safety[k]) violations.push(`safety ${k} round went back from ${previous.safety[k]} to ${stored[k]}`)
    }
    return { head, safety: stored, walEntries: wal.length, violations }
  } finally {
    await store.close()
  }
}

export async function runKillCampaign (opts: CampaignOptions): Promise<CampaignResult> {
  const started = performance.now()
  const random = mulberry32(opts.seed)
  const maxRunMs = opts.maxRunMs ?? 600
  const claims: Claims = { acked: new Set(), finals: new Map(), safety: { vote: 0, qc: 0, proposed: 0 } }
  let previous = { head: -1, safety: claims.safety }
  const kills: KillResult[] = []
  const writer = await writerCommand()
  try {
    return await campaign(opts, writer.args, random, maxRunMs, claims, kills, previous, started)
  } finally {
    await writer.remove()
  }
}

async function campaign (opts: CampaignOptions, command: string[], random: () => number, maxRunMs: number, claims: Claims, kills: KillResult[], previous: { head: number, safety: Safety }, started: number): Promise<CampaignResult> {
  for (let k = 1; k <= opts.kills; k++) {
    const run = startWriter(command, opts.dir, opts.seed * 10_000 + k, claims)
    // One kill in four counts from the spawn (the writer needs ~0.6 s to start), so it
    // lands before the store opens, inside recovery and start-up writes, or early on.
    const when = random() < 0.25 ? 'startup' : 'running'
    // Every tenth run lasts a few seconds: a restart with a large WAL needs more than
    // maxRunMs to order its first batch, and back-to-back short runs would only grow the WAL.
    const delayMs = Math.floor(random() * (when === 'startup' ? 1000 : maxRunMs)) + (k % 10 === 0 ? 3000 : 0)
    if (when === 'running') await run.ready
    await new Promise((resolve) => setTimeout(resolve, delayMs))
    await run.kill()
    // The full check reads the whole chain; in between, the heights new since the last check.
    const checked = await checkFolder(opts.dir, claims, previous, k % 10 === 0 || k === opts.kills)
    previous = { head: Math.max(previous.head, checked.head), safety: checked.safety }
    const result: KillResult = { kill: k, when, delayMs, head: checked.head, acked: claims.acked.size, walEntries: checked.walEntries, violations: checked.violations }
    kills.push(result)
    opts.onKill?.(result)
  }
  // Drain: a last writer orders whatever the WAL holds; every acknowledged tx must be final once.
  const last = startWriter(command, opts.dir, opts.seed * 10_000, claims, true)
  await last.drained
  await last.exited
  const finalViolations: string[] = []
  const store = await ChainStore.open(opts.dir, crashGenesis.hash)
  let finalHead = -1
  try {
    await checkStoreIntegrity(store, crashRules).catch((err: Error) => finalViolations.push(`integrity: ${err.message}`))
    finalHead = store.head()?.height ?? -1
    const locations = await store.txLocations([...claims.acked].map((h) => hexToBytes(h)!))
    const notFinal = locations.filter((l) => l === null).length
    if (notFinal > 0) finalViolations.push(`${notFinal} acknowledged txs are not final after the drain`)
    const wal = await store.walEntries()
    if (wal.length > 0) finalViolations.push(`${wal.length} txs are still in the WAL after the drain`)
    // Exactly once: the integrity check recounts each batch with every lower height's txs as
    // seen, so a tx counted twice would break a batch's tx count; and each location is unique.
    const seen = new Set<string>()
    for (const [i, l] of locations.entries()) {
      if (l === null) continue
      const key = `${l.height}/${l.index}`
      if (seen.has(key)) finalViolations.push(`two acknowledged txs share location ${key} (${[...claims.acked][i]})`)
      seen.add(key)
    }
    for (const [height, hash] of claims.finals) {
      const batch = await store.getBatch(height)
      if (batch === null || !equalBytes(crashRules.batchHash(batch.header), hexToBytes(hash)!)) finalViolations.push(`acknowledged final batch ${height} differs after the drain`)
    }
  } finally {
    await store.close()
  }
  return { kills, acked: claims.acked.size, finalHead, finalViolations, ms: Math.round(performance.now() - started) }
}
