/**
 * RollupRunner: every height in order (empty ones included), exactly once across crashes
 * and failures, one height at a time from the source, retries without skipping, and the
 * same roots on independent instances.
 */
import t, { type Test } from 'tap'
import { join } from 'node:path'
import { Ed25519Signer, generateKeyPair } from '../../src/crypto/index.js'
import {
  KvRollup, RollupRunner, TokenRollup, encodeKvSet, signTransfer, type Commitment, type RollupExecutor, type VerifiedSlice
} from '../../src/rollup-adapters/index.js'
import { makeTempDir } from '../helpers/temp-dir.js'
import { CHAIN, MemorySliceSource, RecordingLogger, WrappedExecutor, delay, hex, leaf, makeSlice, waitForHeight } from './helpers.js'

const ROLLUP = 4
const FAST = { initialBackoffMs: 1, maxBackoffMs: 5 }
const signers = Array.from({ length: 3 }, () => new Ed25519Signer(generateKeyPair().seed))
const GENESIS = signers.map((s) => ({ account: hex(s.publicKey), balance: 1000 }))

/** 30 heights of token transfers; every third height is empty. Transfers chain nonces, so a repeat would fail. */
function tokenSlices (count = 30): VerifiedSlice[] {
  const nonces = signers.map(() => 0)
  const slices: VerifiedSlice[] = []
  for (let h = 0; h < count; h++) {
    const payloads: Uint8Array[] = []
    if (h % 3 !== 2) {
      for (let i = 0; i < 2; i++) {
        const from = (h + i) % signers.length
        payloads.push(signTransfer(CHAIN, signers[from]!, { to: signers[(from + 1) % signers.length]!.publicKey, amount: 1 + h, nonce: nonces[from]!++ }))
      }
    }
    slices.push(makeSlice(ROLLUP, h, payloads))
  }
  return slices
}

async function tempDir (t: Test): Promise<string> {
  const tmp = await makeTempDir()
  t.teardown(tmp.remove)
  return tmp.dir
}

function newToken (dir: string): TokenRollup {
  return new TokenRollup({ rollupId: ROLLUP, dir, chainId: CHAIN, genesis: GENESIS })
}

/** Roots per height from a straight run without failures: what every other run must match. */
async function referenceRoots (dir: string, slices: VerifiedSlice[]): Promise<string[]> {
  const token = newToken(dir)
  await token.open()
  const roots: string[] = []
  for (const s of slices) roots.push(hex((await token.executeSlice(s)).stateRoot))
  await token.close()
  return roots
}

function recordRoots (runner: RollupRunner, into: Map<number, string>): void {
  runner.onCommit((c) => { into.set(c.height, hex(c.stateRoot)) })
}

async function allReceiptsOk (t: Test, token: TokenRollup, slices: VerifiedSlice[]): Promise<void> {
  let bad = 0
  for (const s of slices) {
    const receipts = await token.receipts(s.height)
    if (receipts === null || receipts.length !== s.txs.length || receipts.some((r) => r.code !== 'OK')) bad++
  }
  t.equal(bad, 0, 'every transfer of every height succeeded once (a repeat would fail on its nonce)')
}

t.test('executes every height in order, empty ones included, and reports status', async (t) => {
  const dir = await tempDir(t)
  const slices = tokenSlices(12)
  const source = new MemorySliceSource(ROLLUP, slices.slice(0, 6))
  const executed: number[] = []
  const runner = new RollupRunner({ executor: newToken(join(dir, 'token')), source, options: FAST })
  runner.onCommit((c) => executed.push(c.height))
  t.equal(runner.status().phase, 'stopped')
  await runner.start()
  t.teardown(() => runner.stop())
  await waitForHeight(runner, 5)
  await delay(20)
  t.equal(runner.status().phase, 'waiting', 'waits for the next final height')
  t.same(runner.status().lag, 0)
  for (const s of slices.slice(6)) source.push(s)
  const c = await waitForHeight(runner, 11)
  t.same(executed, Array.from({ length: 12 }, (_, h) => h), 'heights 0..11, each once, in order')
  t.equal(c.height, 11)
  const status = runner.status()
  t.match(status, { rollupId: ROLLUP, height: 11, finalHeight: 11, lag: 0, failures: 0, lastError: null })
  t.equal(status.stateRoot, hex(c.stateRoot))
  t.same(runner.commitment(), c)
  t.ok(source.asked.every((h, i) => h === i), 'the source was asked for each height once, in order')
})

t.test('empty slices advance the height and keep the root', async (t) => {
  const dir = await tempDir(t)
  const source = new MemorySliceSource(ROLLUP, Array.from({ length: 5 }, (_, h) => makeSlice(ROLLUP, h)))
  const kv = new KvRollup({ rollupId: ROLLUP, dir: join(dir, 'kv'), chainId: CHAIN })
  const runner = new RollupRunner({ executor: kv, source, options: FAST })
  await runner.start()
  t.teardown(() => runner.stop())
  const genesisRoot = hex(runner.commitment().stateRoot)
  const c = await waitForHeight(runner, 4)
  t.equal(c.height, 4)
  t.equal(hex(c.stateRoot), genesisRoot)
})

t.test('exactly once across a graceful restart: a new runner and executor on the same folder resume at the next height', async (t) => {
  const dir = await tempDir(t)
  const slices = tokenSlices(30)
  const expected = await referenceRoots(join(dir, 'reference'), slices)
  const source = new MemorySliceSource(ROLLUP, slices)
  const persisted = new Map<number, number>()
  const roots = new Map<number, string>()

  let first: RollupRunner | null = null
  const { promise: stopped, resolve: stopCalled } = Promise.withResolvers<void>()
  const firstExecutor = new WrappedExecutor(newToken(join(dir, 'token')), { after: (s) => { if (s.height === 11) { void first!.stop(); stopCalled() } } }, persisted)
  first = new RollupRunner({ executor: firstExecutor, source, options: FAST })
  recordRoots(first, roots)
  await first.start()
  await stopped
  await first.stop()
  t.equal(first.commitment().height, 11, 'the first runner stopped after height 11')

  const token = newToken(join(dir, 'token'))
  const second = new RollupRunner({ executor: new WrappedExecutor(token, {}, persisted), source, options: FAST })
  recordRoots(second, roots)
  await second.start()
  t.equal(second.commitment().height, 11, 'the second starts from the durable commitment')
  await waitForHeight(second, 29)
  t.same([...persisted.entries()].filter(([, n]) => n !== 1), [], 'every height persisted exactly once')
  t.equal(persisted.size, 30)
  t.same([...roots.keys()].sort((a, b) => a - b), Array.from({ length: 30 }, (_, h) => h))
  t.same(Array.from({ length: 30 }, (_, h) => roots.get(h)), expected, 'same roots as a run without a restart')
  await allReceiptsOk(t, token, slices)
  await second.stop()
})

t.test('exactly once when the process dies between persisting a height and the runner learning of it', async (t) => {
  const dir = await tempDir(t)
  const slices = tokenSlices(20)
  const expected = await referenceRoots(join(dir, 'reference'), slices)
  const source = new MemorySliceSource(ROLLUP, slices)
  const persisted = new Map<number, number>()

  let first: RollupRunner | null = null
  const { promise: crashed, resolve: crash } = Promise.withResolvers<void>()
  const crashing = new WrappedExecutor(newToken(join(dir, 'token')), {
    after: (s) => {
      if (s.height === 7) {
        void first!.stop() // the "process" is gone: nothing more runs
        crash()
        throw new Error('simulated crash after the write')
      }
    }
  }, persisted)
  first = new RollupRunner({ executor: crashing, source, options: FAST, logger: new RecordingLogger() })
  await first.start()
  await crashed
  await first.stop()
  t.equal(first.commitment().height, 6, 'the dead runner never learned of height 7')
  t.equal(persisted.get(7), 1, 'but height 7 is on disk')

  const token = newToken(join(dir, 'token'))
  const second = new RollupRunner({ executor: new WrappedExecutor(token, {}, persisted), source, options: FAST })
  const roots = new Map<number, string>()
  recordRoots(second, roots)
  await second.start()
  t.equal(second.commitment().height, 7, 'the restarted runner resumes after 7')
  await waitForHeight(second, 19)
  t.same([...persisted.entries()].filter(([, n]) => n !== 1), [], 'height 7 was not executed again, and none twice')
  t.equal(persisted.size, 20)
  t.same(Array.from({ length: 12 }, (_, i) => roots.get(i + 8)), expected.slice(8))
  await allReceiptsOk(t, token, slices)
  await second.stop()
})

t.test('a failure after the write, in the same process: the runner re-opens and does not repeat the height', async (t) => {
  const dir = await tempDir(t)
  const slices = tokenSlices(15)
  const source = new MemorySliceSource(ROLLUP, slices)
  let thrown = false
  const token = newToken(join(dir, 'token'))
  const wrapped = new WrappedExecutor(token, { after: (s) => { if (s.height === 9 && !thrown) { thrown = true; throw new Error('lost the answer') } } })
  const logger = new RecordingLogger()
  const runner = new RollupRunner({ executor: wrapped, source, options: FAST, logger })
  await runner.start()
  t.teardown(() => runner.stop())
  await waitForHeight(runner, 14)
  t.same([...wrapped.persisted.entries()].filter(([, n]) => n !== 1), [])
  t.equal(wrapped.opens, 2, 'opened once at start, once after the failure')
  t.equal(logger.records.filter((r) => r.level === 'error').length, 1, 'the failure was logged')
  await allReceiptsOk(t, token, slices)
})

t.test('a throwing executeSlice is retried with backoff and never skipped', async (t) => {
  const dir = await tempDir(t)
  const slices = tokenSlices(10)
  const source = new MemorySliceSource(ROLLUP, slices)
  let failuresLeft = 3
  const attemptsAt: number[] = []
  const wrapped = new WrappedExecutor(newToken(join(dir, 'token')), {
    before: (s) => {
      attemptsAt.push(s.height)
      if (s.height === 4 && failuresLeft > 0) { failuresLeft--; throw new Error('disk full') }
    }
  })
  const logger = new RecordingLogger()
  const failures: Array<Record<string, string>> = []
  const metrics = {
    height: { set: () => {} },
    slicesExecuted: { inc: () => {} },
    leavesExecuted: { inc: () => {} },
    leavesSkipped: { inc: () => {} },
    failures: { inc: (labels: Record<string, string>) => { failures.push(labels) } },
    executeSeconds: { observe: () => {} }
  }
  const statuses: string[] = []
  const runner = new RollupRunner({ executor: wrapped, source, options: { initialBackoffMs: 5, maxBackoffMs: 20 }, logger, metrics })
  runner.onCommit((c) => { if (c.height === 3) setTimeout(() => statuses.push(`${runner.status().phase}:${runner.status().failures}:${runner.status().lastError ?? ''}`), 8) })
  await runner.start()
  t.teardown(() => runner.stop())
  await waitForHeight(runner, 9)
  t.same(attemptsAt.filter((h) => h === 4).length, 4, 'height 4 tried four times')
  t.same(attemptsAt.filter((h) => h !== 4), [0, 1, 2, 3, 5, 6, 7, 8, 9], 'no other height repeated, none skipped')
  t.same([...wrapped.persisted.keys()], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
  t.equal(failures.length, 3)
  t.same(failures[0], { rollup: String(ROLLUP), stage: 'execute' })
  const errors = logger.records.filter((r) => r.level === 'error')
  t.equal(errors.length, 3)
  t.match(errors[0]!.obj, { rollup: ROLLUP, stage: 'execute', height: 4, attempt: 1 })
  t.match(statuses[0] ?? '', /^(retrying|opening|waiting|executing):[1-3]:execute: disk full$/, 'status shows the failure while it lasts')
  t.match(runner.status(), { failures: 0, lastError: null }, 'cleared once the height executed')
})

t.test('a slow executor: the source is asked for one height at a time, never ahead', async (t) => {
  const dir = await tempDir(t)
  const source = new MemorySliceSource(ROLLUP, Array.from({ length: 500 }, (_, h) => makeSlice(ROLLUP, h, h % 2 === 0 ? [encodeKvSet(Uint8Array.of(h % 7 + 1), Uint8Array.of(h & 0xff))] : [])))
  const kv = new KvRollup({ rollupId: ROLLUP, dir: join(dir, 'kv'), chainId: CHAIN })
  const wrapped = new WrappedExecutor(kv, { before: async () => await delay(5) })
  let committed = -1
  let aheadViolations = 0
  source.onAsk = (h) => { if (h !== committed + 1) aheadViolations++ }
  const runner = new RollupRunner({ executor: wrapped, source, options: FAST })
  runner.onCommit((c) => { committed = c.height })
  await runner.start()
  await waitForHeight(runner, 10)
  await runner.stop()
  const reached = runner.commitment().height
  t.ok(reached < 100, `the executor is the bottleneck (reached ${reached} of 499)`)
  t.equal(aheadViolations, 0, 'never asked beyond the next height')
  t.equal(source.maxOutstanding, 1, 'at most one request in flight')
  t.ok(source.asked.length <= reached + 2, `asked ${source.asked.length} times for ${reached + 1} heights`)
  t.equal(runner.status().lag, 499 - reached, 'lag = final height - executed height')
  t.equal(runner.status().phase, 'stopped')
})

t.test('two independent runners over the same slices reach identical roots at every height', async (t) => {
  const dir = await tempDir(t)
  const slices = tokenSlices(25)
  const source = new MemorySliceSource(ROLLUP, slices.slice(0, 10))
  const roots = [new Map<number, string>(), new Map<number, string>()]
  const runners = [0, 1].map((i) => new RollupRunner({ executor: newToken(join(dir, `token-${i}`)), source, options: FAST }))
  runners.forEach((r, i) => recordRoots(r, roots[i]!))
  for (const r of runners) { await r.start(); t.teardown(() => r.stop()) }
  await delay(5)
  for (const s of slices.slice(10)) { source.push(s); if (s.height % 4 === 0) await delay(2) }
  await Promise.all(runners.map((r) => waitForHeight(r, 24)))
  const a = Array.from({ length: 25 }, (_, h) => roots[0]!.get(h))
  t.same(a, Array.from({ length: 25 }, (_, h) => roots[1]!.get(h)))
  t.equal(new Set(a).size, 25 - 8, 'roots change on every non-empty height (8 of 25 are empty)')
})

t.test('start fails cleanly when the executor cannot open; stop is safe twice', async (t) => {
  const failing: RollupExecutor = {
    rollupId: ROLLUP,
    open: async () => { throw new Error('no disk') },
    executeSlice: async (): Promise<Commitment> => { throw new Error('unreachable') },
    close: async () => {}
  }
  const runner = new RollupRunner({ executor: failing, source: new MemorySliceSource(ROLLUP) })
  await t.rejects(runner.start(), /no disk/)
  t.equal(runner.status().phase, 'stopped')
  t.throws(() => runner.commitment())
  await runner.stop()

  const dir = await tempDir(t)
  const ok = new RollupRunner({ executor: new KvRollup({ rollupId: ROLLUP, dir: join(dir, 'kv'), chainId: CHAIN }), source: new MemorySliceSource(ROLLUP), options: FAST })
  await ok.start()
  await delay(5)
  await Promise.all([ok.stop(), ok.stop()])
  await ok.stop()
  t.equal(ok.status().phase, 'stopped')
})

t.test('a source that hands out the wrong height is a logged failure, not an execution', async (t) => {
  const dir = await tempDir(t)
  const good = makeSlice(ROLLUP, 0, [leaf(encodeKvSet(Uint8Array.of(1), Uint8Array.of(2)))])
  let calls = 0
  const source = {
    next: async (height: number): Promise<VerifiedSlice> => {
      calls++
      return calls === 1 ? makeSlice(ROLLUP, height + 1) : { ...good, height }
    }
  }
  const logger = new RecordingLogger()
  const runner = new RollupRunner({ executor: new KvRollup({ rollupId: ROLLUP, dir: join(dir, 'kv'), chainId: CHAIN }), source, options: FAST, logger })
  await runner.start()
  t.teardown(() => runner.stop())
  await waitForHeight(runner, 0)
  t.match(logger.records.find((r) => r.level === 'error')?.obj, { stage: 'source' })
  t.equal(runner.status().finalHeight, null, 'no finalHeight() on this source: lag unknown')
  t.equal(runner.status().lag, null)
})
