/**
 * `GET /v1/openapi.json`: an OpenAPI 3.1 document generated from the routes' schemas, and
 * docs/API.md's route table lists exactly its routes (method and path; WebSocket routes
 * are `WS` there and `x-websocket` GETs in the document).
 */
import t from 'tap'
import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import type { DevControl } from '../../src/api/index.js'
import { FakeBackend } from './fake-backend.js'
import { startServer } from './helpers.js'

const dev: DevControl = {
  state: () => ({ isolated: false, since: null }),
  isolate: () => ({ isolated: true, since: 1 }),
  heal: () => ({ isolated: false, since: null }),
  faults: {
    state: () => ({ mutedTo: [], disk: { failPaths: [], code: 'ENOSPC', delayMs: 0, parkedWrites: 0, injected: 0 } }),
    set: () => ({ mutedTo: [], disk: { failPaths: [], code: 'ENOSPC', delayMs: 0, parkedWrites: 0, injected: 0 } })
  }
}

/** `METHOD /path` of every row of the table under "## Routes" in docs/API.md. */
async function documentedRoutes (): Promise<string[]> {
  const text = await readFile(fileURLToPath(new URL('../../docs/API.md', import.meta.url)), 'utf8')
  const section = text.split(/^## /m).find((s) => s.startsWith('Routes\n'))
  if (section === undefined) throw new Error('docs/API.md has no "## Routes" section')
  return [...section.matchAll(/^\| `(GET|POST|PUT|DELETE|WS)` \| `([^`]+)` \|/gm)].map((m) => `${m[1]} ${m[2]}`).sort()
}

t.test('the OpenAPI document lists every route, and docs/API.md lists the same', async (t) => {
  const { url } = await startServer(t, new FakeBackend(), { dev })
  const res = await fetch(`${url}/v1/openapi.json`)
  t.equal(res.status, 200)
  const doc = await res.json() as { openapi: string, paths: Record<string, Record<string, { 'x-websocket'?: boolean, summary?: string }>> }
  t.equal(doc.openapi, '3.1.0', 'OpenAPI 3.1')
  const served: string[] = []
  for (const [path, operations] of Object.entries(doc.paths)) {
    for (const [method, operation] of Object.entries(operations)) {
      served.push(`${operation['x-websocket'] === true ? 'WS' : method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`)
      t.ok((operation.summary ?? '').length > 0, `${method} ${path} has a summary`)
    }
  }
  served.sort()
  const documented = await documentedRoutes()
  t.same(served.filter((r) => !documented.includes(r)), [], 'every served route is in docs/API.md')
  t.same(documented.filter((r) => !served.includes(r)), [], 'every route in docs/API.md is served')
  t.ok(served.length >= 20, `${served.length} routes`)
})

t.test('parameters are validated by the schemas, with the typed 400', async (t) => {
  const { url } = await startServer(t)
  const res = await fetch(`${url}/v1/txs/${'0'.repeat(64)}/wait?until=soon`)
  t.equal(res.status, 400)
  t.match(await res.json(), { error: { code: 'BAD_REQUEST' } })
})
