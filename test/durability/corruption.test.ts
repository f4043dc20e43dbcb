/**
 * A damaged data folder is refused with StoreCorruptError (code STORE_CORRUPT) naming the
 * folder and the problem, never served: one case per kind of damage, on copies of a real
 * chain of 40+ heights written by the node's own Mempool and ConsensusDriver. Damage in the
 * recent heights is caught at every start; older damage by the full check (`seqnode check`)
 * or, when read, by the read itself.
 */
import t, { type Test } from 'tap'
import { cp, readdir, readFile, rm, truncate, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { execFile } from 'node:child_process'
import { Level } from 'level'
import { BatchSchema, decode, encode } from '../../src/codec/index.js'
import { ChainStore, checkStoreIntegrity, defaultStartCheckHeights, StoreCorruptError, StoreErrorCode } from '../../src/store/index.js'
import { batchHashKey, batchKey, rollupHeightKey, safetyKey, txLocationKey, u64, walKey } from '../../src/store/keys.js'
import { rejectsWithCode } from '../helpers/assert-error.js'
import { makeTempDir } from '../helpers/temp-dir.js'
import { crashGenesis, crashRules, crashTx, startOrdering } from './crash-genesis.js'

const HEIGHTS = defaultStartCheckHeights + 10

const tmp = await makeTempDir('seqnode-corrupt-')
t.teardown(tmp.remove)
const pristine = join(tmp.dir, 'pristine')

/** A real chain: one or two txs per height until HEIGHTS heights are final, some txs left in the WAL. */
async function buildChain (): Promise<void> {
  const store = await ChainStore.open(pristine, crashGenesis.hash)
  const { mempool, driver } = await startOrdering(store)
  let n = 0
  while ((store.head()?.height ?? -1) < HEIGHTS) {
    const before = store.head()?.height ?? -1
    await Promise.all([mempool.admit(crashTx(n++)), ...(n % 2 === 0 ? [mempool.admit(crashTx(n++))] : [])])
    while ((store.head()?.height ?? -1) === before || mempool.stats().txs > 0) await new Promise((resolve) => setTimeout(resolve, 2))
  }
  await driver.stop()
  // A few acknowledged txs that are not ordered yet: written straight to the WAL as admit does.
  await store.close()
  // Reopening turns LevelDB's log into a table file, so the table cases have one to damage.
  await (await ChainStore.open(pristine, crashGenesis.hash)).close()
}
await buildChain()

let cases = 0
async function copy (): Promise<string> {
  const dir = join(tmp.dir, `case-${cases++}`)
  await cp(pristine, dir, { recursive: true })
  return dir
}

async function withRaw (dir: string, fn: (db: Level<Uint8Array, Uint8Array>) => Promise<void>): Promise<void> {
  const db = new Level<Uint8Array, Uint8Array>(dir, { keyEncoding: 'view', valueEncoding: 'view' })
  await db.open()
  try { await fn(db) } finally { await db.close() }
}

async function check (dir: string, full: boolean): Promise<void> {
  const store = await ChainStore.open(dir, crashGenesis.hash)
  try {
    await checkStoreIntegrity(store, crashRules, full ? {} : { recentHeights: defaultStartCheckHeights })
  } finally {
    await store.close()
  }
}

/** Expects STORE_CORRUPT from the start check (or the open), naming the folder and `problem`. */
async function refusedAtStart (t: Test, dir: string, problem: RegExp): Promise<void> {
  const err = await rejectsWithCode(t, check(dir, false), StoreErrorCode.CORRUPT, 'refused at start')
  t.ok(err instanceof StoreCorruptError, 'a StoreCorruptError')
  t.match((err as Error).message, `data folder ${dir} is corrupt`, 'the message names the folder')
  t.match((err as Error).message, problem, 'and the problem')
}

/** The full check of `dir` in its own process (full-check-child.ts): its output and how it ended. */
async function fullCheckInChild (dir: string): Promise<{ stdout: string, stderr: string, signal: NodeJS.Signals | null }> {
  const child = join(import.meta.dirname, 'full-check-child.ts')
  return await new Promise((resolve) => {
    execFile(process.execPath, ['--import', './src/polyfills/register.js', '--import', 'tsx', child, dir], { timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ stdout, stderr, signal: (err as { signal?: NodeJS.Signals } | null)?.signal ?? null })
    })
  })
}

async function tableFile (dir: string): Promise<string> {
  const names = (await readdir(dir)).filter((n) => n.endsWith('.ldb'))
  if (names.length === 0) throw new Error('no table file')
  return join(dir, names.sort().at(-1)!)
}

const headOf = async (dir: string): Promise<number> => { const s = await ChainStore.open(dir, crashGenesis.hash); const h = s.head()!.height; await s.close(); return h }
const head = await headOf(pristine)

/** The highest height whose batch carries txs (an idle one-member chain also orders empty batches). */
async function heightWithTxs (): Promise<number> {
  const store = await ChainStore.open(pristine, crashGenesis.hash)
  try {
    for (let h = head; h > 0; h--) if ((await store.getBatch(h))!.header.txCount > 0) return h
    throw new Error('no batch with txs')
  } finally {
    await store.close()
  }
}
const full = await heightWithTxs()

t.test('the pristine chain passes both checks (the cases below start from it)', async (t) => {
  t.ok(head >= HEIGHTS, `${head + 1} heights`)
  t.ok(full > head - defaultStartCheckHeights, `batch ${full} has txs and is checked at start`)
  await check(pristine, false)
  await check(pristine, true)
  t.pass('start check and full check pass')
})

t.test('LevelDB files', async (t) => {
  await t.test('CURRENT deleted: refused, not silently re-created empty', async (t) => {
    const dir = await copy()
    await rm(join(dir, 'CURRENT'))
    await refusedAtStart(t, dir, /CURRENT file is missing/)
    t.same((await readdir(dir)).includes('CURRENT'), false, 'nothing was written to the folder')
  })
  await t.test('MANIFEST truncated', async (t) => {
    const dir = await copy()
    const manifest = (await readdir(dir)).find((n) => n.startsWith('MANIFEST-'))!
    await truncate(join(dir, manifest), 10)
    await refusedAtStart(t, dir, /level cannot open it: Corruption/)
  })
  await t.test('a table file deleted', async (t) => {
    const dir = await copy()
    await rm(await tableFile(dir))
    await refusedAtStart(t, dir, /missing files/)
  })
  await t.test('a table file truncated', async (t) => {
    const dir = await copy()
    const file = await tableFile(dir)
    await truncate(file, Math.floor((await readFile(file)).length / 2))
    await refusedAtStart(t, dir, /level cannot (open|read) it/)
  })
  await t.test('bytes of a table file overwritten', async (t) => {
    const dir = await copy()
    const file = await tableFile(dir)
    const bytes = await readFile(file)
    for (let i = 0; i < bytes.length - 64; i += 97) bytes[i] ^= 0x5a // spread, but keep the footer
    await writeFile(file, bytes)
    // In a child: where a flipped byte breaks an internal key, LevelDB asserts and aborts the
    // process (about 1 run in 12) instead of returning Corruption. Either way nothing is served.
    const run = await fullCheckInChild(dir)
    if (run.signal !== null) {
      t.equal(run.signal, 'SIGABRT', 'LevelDB aborted reading the damaged table')
      t.match(run.stderr, /leveldb/, 'its assertion names LevelDB')
    } else {
      t.match(run.stdout, new RegExp(`^${StoreErrorCode.CORRUPT} data folder ${dir} is corrupt`), 'the full check reads every key and refuses')
    }
  })
})

t.test('stored values', async (t) => {
  await t.test('a batch near the head that does not decode', async (t) => {
    const dir = await copy()
    await withRaw(dir, async (db) => { await db.put(batchKey(head - 2), Uint8Array.of(0xc1, 0xff, 0x00)) })
    await refusedAtStart(t, dir, new RegExp(`stored batch ${head - 2} does not decode`))
  })
  await t.test('a flipped byte inside a batch near the head (still decodes)', async (t) => {
    const dir = await copy()
    await withRaw(dir, async (db) => {
      const batch = decode(BatchSchema, (await db.get(batchKey(full)))!)
      batch.chunks[0]!.txs[0]!.actions[0]!.payload[0]! ^= 1
      await db.put(batchKey(full), encode(BatchSchema, batch))
    })
    await refusedAtStart(t, dir, new RegExp(`chunks of batch ${full} do not hash`))
  })
  await t.test('an old batch with a flipped header byte: start passes, the full check and the read refuse', async (t) => {
    const dir = await copy()
    await withRaw(dir, async (db) => {
      const batch = decode(BatchSchema, (await db.get(batchKey(1)))!)
      batch.header.timestamp += 1
      await db.put(batchKey(1), encode(BatchSchema, batch))
    })
    await check(dir, false)
    t.pass(`height 1 is below the ${defaultStartCheckHeights} heights checked at start`)
    await rejectsWithCode(t, check(dir, true), StoreErrorCode.CORRUPT, 'the full check refuses')
    const store = await ChainStore.open(dir, crashGenesis.hash)
    t.teardown(() => store.close())
    const err = await rejectsWithCode(t, store.getBatch(1), StoreErrorCode.CORRUPT, 'reading it raises instead of serving it')
    t.match((err as Error).message, /header of batch 1 does not hash/)
    t.ok(await store.getBatch(2) !== null, 'the other heights are served')
  })
  await t.test('a tx location of the wrong size', async (t) => {
    const dir = await copy()
    let hash: Uint8Array | null = null
    await withRaw(dir, async (db) => {
      for await (const [k] of db.iterator({ gte: Uint8Array.of(0x05), lt: Uint8Array.of(0x06), limit: 1 })) hash = k.subarray(1)
      await db.put(txLocationKey(hash!), new Uint8Array(15))
    })
    const store = await ChainStore.open(dir, crashGenesis.hash)
    t.teardown(() => store.close())
    const err = await rejectsWithCode(t, store.txLocation(hash!), StoreErrorCode.CORRUPT)
    t.match((err as Error).message, /tx location has 15 bytes/)
  })
  await t.test('a safety state that does not decode', async (t) => {
    const dir = await copy()
    await withRaw(dir, async (db) => { await db.put(safetyKey(), Uint8Array.of(1, 2, 3)) })
    await refusedAtStart(t, dir, /consensus safety state does not decode/)
  })
  await t.test('a WAL entry that does not decode (full check)', async (t) => {
    const dir = await copy()
    await withRaw(dir, async (db) => { await db.put(walKey(new Uint8Array(32).fill(7)), new Uint8Array(20).fill(9)) })
    await rejectsWithCode(t, check(dir, true), StoreErrorCode.CORRUPT)
  })
})

t.test('records that disagree', async (t) => {
  await t.test('the head points at a missing batch', async (t) => {
    const dir = await copy()
    await withRaw(dir, async (db) => { await db.del(batchKey(head)) })
    await refusedAtStart(t, dir, new RegExp(`head batch ${head} or its commit proof is missing`))
  })
  await t.test('a batch missing below the head', async (t) => {
    const dir = await copy()
    await withRaw(dir, async (db) => { await db.del(batchKey(head - 3)) })
    await refusedAtStart(t, dir, new RegExp(`batch ${head - 3} or its commit proof is missing`))
  })
  await t.test('a broken hash chain near the head (a re-indexed, re-linked batch)', async (t) => {
    const dir = await copy()
    await withRaw(dir, async (db) => {
      const h = head - 4
      const batch = decode(BatchSchema, (await db.get(batchKey(h)))!)
      const oldHash = crashRules.batchHash(batch.header)
      batch.header.parentHash = new Uint8Array(32).fill(3)
      await db.batch([
        { type: 'put', key: batchKey(h), value: encode(BatchSchema, batch) },
        { type: 'del', key: batchHashKey(oldHash) },
        { type: 'put', key: batchHashKey(crashRules.batchHash(batch.header)), value: u64(h) }
      ])
    })
    await refusedAtStart(t, dir, /broken hash chain|does not link|commit proof/)
  })
  await t.test('a tx location that disagrees with its batch', async (t) => {
    const dir = await copy()
    await withRaw(dir, async (db) => {
      const batch = decode(BatchSchema, (await db.get(batchKey(full)))!)
      const hash = crashRules.txHashes(batch)[0]!
      const location = new Uint8Array(16)
      location.set(u64(full), 0)
      location.set(u64(7), 8)
      await db.put(txLocationKey(hash), location)
    })
    await refusedAtStart(t, dir, /the tx index says/)
  })
  await t.test('a rollup index count that disagrees with its batch', async (t) => {
    const dir = await copy()
    await withRaw(dir, async (db) => {
      const batch = decode(BatchSchema, (await db.get(batchKey(full)))!)
      const ns = batch.header.namespaces[0]!
      await db.put(rollupHeightKey(ns.rollupId, full), u64(ns.count + 1))
    })
    await refusedAtStart(t, dir, /the rollup index says/)
  })
  await t.test('a leftover index entry (full check counts them)', async (t) => {
    const dir = await copy()
    await withRaw(dir, async (db) => { await db.put(rollupHeightKey(9, 3), u64(1)) })
    await check(dir, false)
    await rejectsWithCode(t, check(dir, true), StoreErrorCode.CORRUPT)
  })
  await t.test('a batch above the head', async (t) => {
    const dir = await copy()
    await withRaw(dir, async (db) => { await db.put(batchKey(head + 1), (await db.get(batchKey(head)))!) })
    await refusedAtStart(t, dir, new RegExp(`batch is stored at height ${head + 1}, above the head`))
  })
  await t.test('a folder of another genesis', async (t) => {
    const dir = await copy()
    await rejectsWithCode(t, ChainStore.open(dir, new Uint8Array(32).fill(1)), StoreErrorCode.WRONG_GENESIS)
  })
})

t.test('the API answers a corrupt read with 500 STORE_CORRUPT, not the bytes and not a client error', async (t) => {
  const { toHttpError } = await import('../../src/api/errors.js')
  const reply = toHttpError(new StoreCorruptError('/data', 'stored batch 3 does not decode'))
  t.equal(reply.statusCode, 500)
  t.equal(reply.body.error.code, StoreErrorCode.CORRUPT)
  t.notMatch(reply.body.error.message, '/data', 'the folder path stays in the node log')
})
