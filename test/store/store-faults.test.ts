/**
 * A failed store write (ENOSPC, EIO) on every write path: it is reported (fault(), the
 * per-path counters), nothing handed in is lost or reordered, a safety write resolves only
 * once it is on disk, and the store goes on by itself once writes succeed again (retried
 * with backoff). The old store kept the first error for good: every later write failed,
 * so one failed write of a final batch wedged the node. Faults are injected with
 * StoreFaults (src/store/fault-injection.ts).
 */
import t, { type Test } from 'tap'
import { join } from 'node:path'
import {
  ChainStore, StoreErrorCode, StoreFaults, StoreWriteError, writeFaultCode,
  type FinalBatchRecord, type InjectableFaultCode, type StoreWritePath
} from '../../src/store/index.js'
import { equalBytes, sha256 } from '../../src/crypto/index.js'
import { rejectsWithCode } from '../helpers/assert-error.js'
import { makeTempDir } from '../helpers/temp-dir.js'

const genesis = sha256(new Uint8Array([7]))
const bytes = (n: number, fill: number): Uint8Array => new Uint8Array(n).fill(fill)

function record (height: number, withActions = true): FinalBatchRecord {
  return {
    height,
    hash: sha256(new Uint8Array([height, 9])),
    batchBytes: bytes(100, height),
    commitProofBytes: bytes(50, height + 1),
    txHashes: [sha256(new Uint8Array([height, 1]))],
    rollupCounts: withActions ? [{ rollupId: 1, count: 1 }] : []
  }
}

/** Resolves when `check` holds, polling; fails the test after 10 s. */
async function until (what: string, check: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

function tracked (promise: Promise<void>): { settled: () => boolean, promise: Promise<void> } {
  let settled = false
  const p = promise.finally(() => { settled = true })
  return { settled: () => settled, promise: p }
}

async function openWithFaults (t: Test): Promise<{ store: ChainStore, faults: StoreFaults, path: string }> {
  const tmp = await makeTempDir()
  t.teardown(tmp.remove)
  const path = join(tmp.dir, 'db')
  const faults = new StoreFaults()
  const store = await ChainStore.open(path, genesis, { faults })
  t.teardown(async () => { faults.heal(); await store.close() })
  return { store, faults, path }
}

/** The queued write paths: a write of `path` handed to the store; what must be on disk after a reopen. */
const queued: Record<Exclude<StoreWritePath, 'wal'>, { write: (s: ChainStore) => Promise<void>, check: (s: ChainStore, t: Test) => Promise<void> }> = {
  safety: {
    write: async (s) => await s.putSafetyState(bytes(16, 5)),
    check: async (s, t) => { t.ok(equalBytes((await s.getSafetyState())!, bytes(16, 5)), 'the safety state is on disk') }
  },
  final: {
    write: async (s) => await s.putFinalBatch(record(0, false)),
    check: async (s, t) => {
      t.equal(s.head()?.height, 0, 'the head is on disk')
      t.ok(equalBytes((await s.getBatchBytes(0))!, record(0).batchBytes), 'the final batch is on disk')
    }
  },
  rollupHeights: {
    write: async (s) => await s.putFinalBatch(record(0, true)),
    check: async (s, t) => { t.equal(await s.latestRollupHeight(1), 0, 'the rollup height index is on disk') }
  },
  pending: {
    write: async (s) => await s.putPendingBlock(sha256(bytes(1, 1)), bytes(40, 4)),
    check: async (s, t) => { const stored = await s.pendingBlocks()
      t.ok(stored.length === 1 && equalBytes(stored[0]!.bytes, bytes(40, 4)), 'the pending block is on disk') }
  }
}

for (const code of ['ENOSPC', 'EIO'] as InjectableFaultCode[]) {
  for (const [path, { write, check }] of Object.entries(queued) as Array<[keyof typeof queued, typeof queued[keyof typeof queued]]>) {
    t.test(`${code} on the ${path} path: reported, retried, written once the disk is back`, async (t) => {
      const { store, faults, path: dir } = await openWithFaults(t)
      faults.fail([path], code)
      const pending = tracked(write(store))
      await until('the write failed twice (a retry)', () => faults.injected >= 2)
      t.notOk(pending.settled(), 'the write has not resolved while it fails')
      const fault = store.fault()
      t.equal(fault?.code, code, 'fault() says what the OS said')
      t.equal(fault?.path, path, 'and which write path')
      t.ok(fault !== null && fault.since <= Date.now() && fault.since > Date.now() - 60_000, 'and since when')
      t.ok(store.writeFailures[path] >= 2, `counted: ${store.writeFailures[path]} failures of ${path}`)
      t.ok(store.faultedPaths().includes(path))

      faults.heal()
      await pending.promise
      t.equal(store.fault(), null, 'no fault once the write went through')
      await store.close()
      const again = await ChainStore.open(dir, genesis)
      t.teardown(() => again.close())
      await check(again, t)
    })
  }

  t.test(`${code} on the wal path: the append fails with the fault, the next one after healing goes through`, async (t) => {
    const { store, faults } = await openWithFaults(t)
    const entry = { hash: sha256(bytes(1, 2)), bytes: bytes(20, 2) }
    faults.fail(['wal'], code)
    const err = await store.walAppend([entry]).then(() => null, (e: unknown) => e)
    t.ok(err instanceof StoreWriteError, 'a StoreWriteError')
    t.equal((err as StoreWriteError).code, StoreErrorCode.WRITE_FAILED)
    t.equal((err as StoreWriteError).fault, code)
    t.equal(store.fault()?.path, 'wal')
    await rejectsWithCode(t, store.walRemove([entry.hash]), StoreErrorCode.WRITE_FAILED)
    t.equal(store.writeFailures.wal, 2)
    t.same(await store.walEntries(), [], 'nothing was written')
    faults.heal()
    await store.walAppend([entry])
    t.equal(store.fault(), null)
    const wal = await store.walEntries()
    t.ok(wal.length === 1 && equalBytes(wal[0]!.bytes, entry.bytes), 'the entry is in the WAL')
  })
}

t.test('writes handed in behind a failing one wait for it and keep their order', async (t) => {
  const { store, faults, path } = await openWithFaults(t)
  faults.fail(['final'], 'ENOSPC')
  void store.putFinalBatch(record(0))
  await until('the first batch failed', () => faults.injected >= 1)
  // the disk is still full: these queue behind (and fail with the first, as one full disk would)
  const more = [store.putFinalBatch(record(1)), store.putFinalBatch(record(2))]
  const safety = tracked(store.putSafetyState(bytes(16, 1)))
  t.equal(store.head()?.height, 2, 'reads see the batches at once')
  t.ok(equalBytes((await store.getBatchBytes(1))!, record(1).batchBytes))
  await until('a retry', () => faults.injected >= 3)
  t.notOk(safety.settled(), 'the safety state is not reported written while the batches before it fail')
  faults.heal()
  await Promise.all([...more, safety.promise])
  await store.close()
  const again = await ChainStore.open(path, genesis)
  t.teardown(() => again.close())
  t.equal(again.head()?.height, 2, 'every batch is on disk, the head is contiguous')
  for (let h = 0; h <= 2; h++) t.ok(equalBytes((await again.getBatchBytes(h))!, record(h).batchBytes), `batch ${h}`)
  t.ok(equalBytes((await again.getSafetyState())!, bytes(16, 1)))
})

t.test('a close while writes fail does not hang: the unwritten part is dropped as in a crash', async (t) => {
  const { store, faults, path } = await openWithFaults(t)
  await store.putFinalBatch(record(0))
  faults.fail(['safety', 'final'], 'EIO')
  const outcome = (p: Promise<void>): Promise<unknown> => p.then(() => 'written', (err: unknown) => err)
  const lost = outcome(store.putFinalBatch(record(1)))
  const safety = outcome(store.putSafetyState(bytes(16, 2)))
  await until('a failure', () => faults.injected >= 1)
  await store.close()
  t.equal((await safety as { code?: string }).code, StoreErrorCode.CLOSED, 'the safety write fails with STORE_CLOSED')
  t.equal((await lost as { code?: string }).code, StoreErrorCode.CLOSED, 'so does the final batch')
  faults.heal()
  const again = await ChainStore.open(path, genesis)
  t.teardown(() => again.close())
  t.equal(again.head()?.height, 0, 'the store reopens at its last written head')
})

t.test('fault injection options: failAfter, failCount, delayMs', async (t) => {
  const faults = new StoreFaults({ failPaths: ['wal'], code: 'EIO', failAfter: 1, failCount: 2 })
  const wal = new Set<StoreWritePath>(['wal'])
  await faults.beforeWrite(wal)
  await t.rejects(faults.beforeWrite(wal), { code: 'EIO', path: 'wal' })
  await t.rejects(faults.beforeWrite(wal), { code: 'EIO' })
  await faults.beforeWrite(wal)
  await faults.beforeWrite(new Set(['safety']))
  t.equal(faults.injected, 2)

  const slow = new StoreFaults({ delayMs: 40, delayPaths: ['safety'] })
  let done = false
  const write = slow.beforeWrite(new Set(['safety'])).then(() => { done = true })
  await slow.beforeWrite(new Set(['final']))
  t.notOk(done, 'a write of another path does not wait')
  await write
  t.ok(done)
})

t.test('a node config turns injection on under store.faults', async (t) => {
  const { parseNodeConfig } = await import('../../src/node/config.js')
  const base = { genesisFile: 'g.json', keyFile: 'k.json', dataDir: 'd' }
  t.same(parseNodeConfig(base, '/').store, {}, 'off by default')
  const on = parseNodeConfig({ ...base, store: { faults: { failPaths: ['final'], code: 'EIO', delayMs: 5 } } }, '/').store.faults
  t.same({ failPaths: on?.failPaths, code: on?.code, delayMs: on?.delayMs, failCount: on?.failCount }, { failPaths: ['final'], code: 'EIO', delayMs: 5, failCount: null })
  t.throws(() => parseNodeConfig({ ...base, store: { faults: { failPaths: ['disk'] } } }, '/'), /store\.faults\.failPaths/)
})

t.test('writeFaultCode names what the OS said', async (t) => {
  t.equal(writeFaultCode(Object.assign(new Error('x'), { code: 'ENOSPC' })), 'ENOSPC')
  t.equal(writeFaultCode(Object.assign(new Error('Write failed'), { code: 'LEVEL_IO_ERROR', cause: new Error('IO error: /d/000005.log: No space left on device') })), 'ENOSPC')
  t.equal(writeFaultCode(Object.assign(new Error('IO error: /d/MANIFEST: Input/output error'), { code: 'LEVEL_IO_ERROR' })), 'EIO')
  t.equal(writeFaultCode(Object.assign(new Error('IO error: something else'), { code: 'LEVEL_IO_ERROR' })), 'LEVEL_IO_ERROR')
  t.equal(writeFaultCode('?'), 'UNKNOWN')
})
