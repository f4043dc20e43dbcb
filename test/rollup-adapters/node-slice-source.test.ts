/** The in-node slice source over the ApiBackend methods, and the adapters handle the node wires. */
import t from 'tap'
import { pino } from 'pino'
import { Registry } from 'prom-client'
import { batchHash } from '../../src/batch/index.js'
import {
  NodeSliceSource, RollupAdapters, RollupErrorCode, TokenRollup, createRollupMetrics, startBuiltinRollups, type FinalSliceProvider
} from '../../src/rollup-adapters/index.js'
import { FakeBackend } from '../api/fake-backend.js'
import { rejectsWithCode } from '../helpers/assert-error.js'
import { makeTempDir } from '../helpers/temp-dir.js'
import { delay, hex } from './helpers.js'

t.test('a final height comes at once, converted to a VerifiedSlice', async (t) => {
  const backend = new FakeBackend({ finalHeight: 4 })
  const source = new NodeSliceSource(backend, 1)
  const slice = await source.next(2, new AbortController().signal)
  const expected = (await backend.getSlice(1, 2))!
  t.equal(slice.rollupId, 1)
  t.equal(slice.height, 2)
  t.equal(hex(slice.batchHash), hex(batchHash(expected.slice.header)))
  t.equal(slice.timestamp, expected.slice.header.timestamp)
  t.equal(slice.txs.length, 2)
  t.same(slice.txs, expected.leaves)
  t.equal(source.finalHeight(), 4)
  const empty = await source.next(3, new AbortController().signal)
  t.equal(empty.txs.length, 0, 'an empty height is a slice too')
})

t.test('a height not final yet is waited for through onFinal, without polling', async (t) => {
  const backend = new FakeBackend({ finalHeight: 4 })
  const source = new NodeSliceSource(backend, 7)
  let result: number | null = null
  const pending = source.next(6, new AbortController().signal).then((s) => { result = s.height })
  await delay(40)
  t.equal(result, null, 'still waiting')
  t.equal(backend.getSliceCalls, 0, 'nothing was read while nothing became final')
  backend.advance() // 5: not enough
  await delay(10)
  t.equal(result, null)
  backend.advance() // 6
  await pending
  t.equal(result, 6)
  t.equal(backend.listeners.size, 0, 'unsubscribed')
})

t.test('abort rejects a waiting next() and unsubscribes', async (t) => {
  const backend = new FakeBackend({ finalHeight: 0 })
  const source = new NodeSliceSource(backend, 1)
  const abort = new AbortController()
  const pending = source.next(3, abort.signal)
  await delay(5)
  t.equal(backend.listeners.size, 1)
  abort.abort(new Error('stopping'))
  await t.rejects(pending, /stopping/)
  t.equal(backend.listeners.size, 0)
  await t.rejects(source.next(0, abort.signal), /stopping/, 'an aborted signal refuses at once')
})

t.test('a missed notification is caught by the periodic recheck', async (t) => {
  const backend = new FakeBackend({ finalHeight: 0 })
  const source = new NodeSliceSource(backend, 1, { recheckMs: 20 })
  const pending = source.next(1, new AbortController().signal)
  backend.final = 1 // final without telling the listeners
  t.equal((await pending).height, 1)
})

t.test('a provider answering for another height is refused', async (t) => {
  const backend = new FakeBackend({ finalHeight: 3 })
  const lying: FinalSliceProvider = {
    finalHeight: () => backend.finalHeight(),
    onFinal: (l) => backend.onFinal(l),
    getSlice: async (rollupId, height) => await backend.getSlice(rollupId, height - 1)
  }
  await rejectsWithCode(t, new NodeSliceSource(lying, 1).next(2, new AbortController().signal), RollupErrorCode.SOURCE)
})

t.test('startBuiltinRollups: runners over the node backend, status, metrics, restart', async (t) => {
  const tmp = await makeTempDir()
  t.teardown(tmp.remove)
  const backend = new FakeBackend({ finalHeight: 5 })
  const registry = new Registry()
  const metrics = createRollupMetrics(registry)
  const logger = pino({ level: 'silent' })
  const rollups = [{ kind: 'token' as const, rollupId: 1, genesis: [{ account: 'aa'.repeat(32), balance: 10 }] }, { kind: 'kv' as const, rollupId: 7 }]
  const deps = { provider: backend, chainId: 'test-chain', rollupsDir: tmp.dir, logger, metrics }
  const adapters = await startBuiltinRollups(deps, rollups)
  await Promise.all([1, 7].map((id) => waitFor(() => adapters.status(id)?.height === 5)))
  t.match(adapters.status(1), { rollupId: 1, height: 5, finalHeight: 5, lag: 0, failures: 0 })
  t.equal(adapters.status(2), null, 'no executor for rollup 2 here')
  t.equal(adapters.statuses().length, 2)
  const token = adapters.executor(1) as TokenRollup
  t.ok(token instanceof TokenRollup)
  t.equal(token.balance('aa'.repeat(32)), 10)
  t.same((await token.receipts(1))!.map((r) => r.code), ['TOKEN_MALFORMED'], 'the fake backend\'s payloads are not transfers')
  backend.advance()
  backend.advance()
  await waitFor(() => adapters.status(1)?.height === 7 && adapters.status(7)?.height === 7)
  const text = await registry.metrics()
  t.match(text, /seq_rollup_height\{rollup="7"\} 7/)
  t.match(text, /seq_rollup_slices_executed_total\{rollup="1"\} 8/)
  await adapters.stop()
  await adapters.stop()
  t.equal(backend.listeners.size, 0, 'no listener left behind')

  const again = await startBuiltinRollups(deps, rollups)
  t.teardown(() => again.stop())
  t.equal(again.status(1)!.height, 7, 'resumes from the durable commitment')
  t.equal(again.status(7)!.height, 7)
  backend.advance()
  await waitFor(() => again.status(1)?.height === 8 && again.status(7)?.height === 8)
  t.pass('caught up')
})

t.test('startBuiltinRollups stops what it started when one rollup cannot open', async (t) => {
  const tmp = await makeTempDir()
  t.teardown(tmp.remove)
  const backend = new FakeBackend({ finalHeight: 1 })
  const deps = { provider: backend, chainId: 'test-chain', rollupsDir: tmp.dir }
  const first = await startBuiltinRollups(deps, [{ kind: 'kv', rollupId: 7 }])
  // The same folder again is locked by the running one.
  await rejectsWithCode(t, startBuiltinRollups(deps, [{ kind: 'token', rollupId: 1 }, { kind: 'kv', rollupId: 7 }]), RollupErrorCode.STORE)
  await first.stop()
  const again = await startBuiltinRollups(deps, [{ kind: 'token', rollupId: 1 }])
  t.teardown(() => again.stop())
  t.ok(again.status(1), 'the token folder was released by the failed start')
  await rejectsWithCode(t, RollupAdapters.start({ provider: backend }, [again.executor(1)!, again.executor(1)!]), RollupErrorCode.BAD_CONFIG)
})

async function waitFor (cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs
  while (!cond()) {
    if (Date.now() > until) throw new Error('timed out')
    await delay(5)
  }
}
