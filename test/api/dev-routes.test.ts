/**
 * Audit #13 item 10: the dev control routes (and the devnet's control endpoint) refuse
 * requests from web pages, which always carry an Origin header on cross-site POSTs, so a
 * page open on the developer's machine cannot partition a member (CSRF). Clients without
 * one (curl, the devnet's Node fetch) still work.
 */
import t from 'tap'
import { startControlServer } from '../../devnet/control-server.js'
import type { DevControl } from '../../src/api/index.js'
import { FakeBackend } from './fake-backend.js'
import { errorOf, startServer } from './helpers.js'

function fakeControl (): DevControl & { calls: string[] } {
  const calls: string[] = []
  let isolated = false
  return {
    calls,
    state: () => ({ isolated, since: null }),
    isolate: () => { calls.push('isolate'); isolated = true; return { isolated, since: 1 } },
    heal: () => { calls.push('heal'); isolated = false; return { isolated, since: null } }
  }
}

t.test('dev routes refuse any request with an Origin header, serve those without', async (t) => {
  const control = fakeControl()
  const { url } = await startServer(t, new FakeBackend(), { dev: control })
  for (const [method, path] of [['POST', '/v1/dev/isolate'], ['POST', '/v1/dev/heal'], ['GET', '/v1/dev/isolation']] as const) {
    for (const origin of ['https://evil.example', 'null', url]) {
      const res = await fetch(`${url}${path}`, { method, headers: { origin } })
      t.same(await errorOf(res), { status: 403, code: 'CROSS_ORIGIN_REFUSED' }, `${method} ${path} from Origin ${origin}`)
    }
  }
  t.same(control.calls, [], 'nothing was isolated or healed')
  const res = await fetch(`${url}/v1/dev/isolate`, { method: 'POST' })
  t.equal(res.status, 200, 'without Origin (curl, the devnet) it works')
  t.same(await res.json(), { isolated: true, since: 1 })
  t.same(control.calls, ['isolate'])
})

t.test("the devnet's control endpoint refuses web pages too", async (t) => {
  const stopped: number[] = []
  const control = await startControlServer({
    list: () => [{ index: 0, url: null, running: true, isolated: false, pid: null }],
    stop: async (i) => { stopped.push(i) },
    start: async () => {},
    isolate: async () => {},
    heal: async () => {}
  }, 0)
  t.teardown(() => control.close())
  const refused = await fetch(`${control.url}/nodes/0/stop`, { method: 'POST', headers: { origin: 'https://evil.example' } })
  t.equal(refused.status, 403)
  t.same(stopped, [], 'no node was stopped')
  const ok = await fetch(`${control.url}/nodes/0/stop`, { method: 'POST' })
  t.equal(ok.status, 200)
  t.same(stopped, [0])
})
