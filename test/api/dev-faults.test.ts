/**
 * `/v1/dev/faults` (dev control only): the chaos campaign's one-way partition and run-time
 * store faults, driven over HTTP into a real NetworkIsolation and StoreFaults
 * (src/node/dev-faults.ts). Bad bodies and unknown members get 400 BAD_REQUEST; web
 * pages get 403 like the other dev routes.
 */
import t from 'tap'
import { pino } from 'pino'
import type { DevControl, DevFaultsJson } from '../../src/api/index.js'
import { devFaultControl } from '../../src/node/dev-faults.js'
import { NetworkIsolation } from '../../src/p2p/index.js'
import { InjectedWriteError, StoreFaults } from '../../src/store/index.js'
import { FakeBackend } from './fake-backend.js'
import { errorOf, startServer } from './helpers.js'
import type { Teardown } from '../helpers/node-process.js'

async function setup (t: Teardown): Promise<{ url: string, isolation: NetworkIsolation, store: StoreFaults }> {
  const isolation = new NetworkIsolation()
  const store = new StoreFaults()
  const control: DevControl = {
    state: () => isolation.state(),
    isolate: () => isolation.isolate(),
    heal: () => isolation.heal(),
    faults: devFaultControl({ isolation, store, members: 4, self: 2, log: pino({ level: 'silent' }) })
  }
  const { url } = await startServer(t, new FakeBackend(), { dev: control })
  return { url, isolation, store }
}

async function post (url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return await fetch(`${url}/v1/dev/faults`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) })
}

t.test('mute and store faults are set, read back and lifted', async (t) => {
  const { url, isolation, store } = await setup(t)
  let res = await post(url, { muteTo: [0, 3], diskFail: { paths: ['wal'], code: 'EIO' }, diskDelayMs: 5 })
  t.equal(res.status, 200)
  const set = await res.json() as DevFaultsJson
  t.same(set.mutedTo, [0, 3])
  t.same(set.disk, { failPaths: ['wal'], code: 'EIO', delayMs: 5, parkedWrites: 0, injected: 0 })
  t.ok(isolation.mutes(0) && isolation.mutes(3) && !isolation.mutes(1), 'the transport sees the mute list')
  await t.rejects(store.beforeWrite(new Set(['wal'])), InjectedWriteError, 'a WAL write fails')
  await store.beforeWrite(new Set(['safety']))
  t.pass('a safety write goes through (after the delay)')

  const parked = store.beforeWrite(new Set(['final']))
  res = await fetch(`${url}/v1/dev/faults`)
  t.same((await res.json() as DevFaultsJson).disk.parkedWrites, 1, 'a write waiting in the delay is counted as parked')
  await parked

  res = await post(url, { muteTo: [], diskFail: null, diskDelayMs: 0 })
  const cleared = await res.json() as DevFaultsJson
  t.same(cleared.mutedTo, [])
  t.same(cleared.disk, { failPaths: [], code: 'EIO', delayMs: 0, parkedWrites: 0, injected: 1 })
  await store.beforeWrite(new Set(['wal']))
  t.pass('the disk is back')
})

t.test('bad requests are refused with a code, and nothing changes', async (t) => {
  const { url, isolation } = await setup(t)
  for (const body of [{ muteTo: [2] }, { muteTo: [4] }, { muteTo: [-1] }, { muteTo: 'all' }, { diskFail: { paths: ['swap'], code: 'EIO' } }, { diskFail: { paths: ['wal'], code: 'EPERM' } }, { diskDelayMs: -5 }]) {
    t.same(await errorOf(await post(url, body)), { status: 400, code: 'BAD_REQUEST' }, JSON.stringify(body))
  }
  t.same(isolation.mutedTo(), [], 'no mute set')
  t.same(await errorOf(await post(url, { muteTo: [1] }, { origin: 'https://evil.example' })), { status: 403, code: 'CROSS_ORIGIN_REFUSED' }, 'a web page is refused')
  t.same(isolation.mutedTo(), [])
})
