/**
 * The explorer plugin: the page and its assets are served at `/` (with a CSP that allows
 * only our own script, style and same-origin reads) when the API is told to, 404 when not,
 * a typed 503 when the bundle is missing; and the node's config and `seqnode start` flag
 * turn it off.
 */
import t from 'tap'
import { spawn } from 'node:child_process'
import Fastify from 'fastify'
import { registerExplorer } from '../../src/explorer/index.js'
import { parseNodeConfig } from '../../src/node/config.js'
import { errorOf, startServer } from '../api/helpers.js'
import { assertBuilt, makeNodeHome, repoRoot } from '../helpers/node-process.js'

t.test('served at / with its script and style when on', async (t) => {
  assertBuilt() // the page is bundled into dist/ by the build
  const { url } = await startServer(t, undefined, { explorer: true })
  const page = await fetch(`${url}/`)
  t.equal(page.status, 200)
  t.match(page.headers.get('content-type'), /^text\/html/)
  const csp = page.headers.get('content-security-policy') ?? ''
  t.match(csp, /default-src 'none'/, 'a restrictive CSP')
  t.match(csp, /script-src 'self'/)
  t.match(csp, /connect-src 'self'/)
  const html = await page.text()
  t.match(html, /<script type="module" src="explorer\/app.js">/, 'loads its module by a relative path (works under a proxy prefix)')
  const js = await fetch(`${url}/explorer/app.js`)
  t.equal(js.status, 200)
  t.match(js.headers.get('content-type'), /^text\/javascript/)
  const code = await js.text()
  t.ok(code.length > 10_000, `the bundle holds the SDK (${(code.length / 1024).toFixed(0)} KiB)`)
  t.notMatch(code, /["']node:/, 'no node: module in the bundle')
  t.equal((await fetch(`${url}/explorer/style.css`)).status, 200)
  t.equal((await fetch(`${url}/v1/status`)).status, 200, 'the API is unchanged')
})

t.test('not served (404) when off, the default of createApiServer', async (t) => {
  const { url } = await startServer(t)
  t.same(await errorOf(await fetch(`${url}/`)), { status: 404, code: 'NOT_FOUND' })
  t.same(await errorOf(await fetch(`${url}/explorer/app.js`)), { status: 404, code: 'NOT_FOUND' })
})

t.test('a missing bundle is a typed 503, not a crash', async (t) => {
  const app = Fastify()
  registerExplorer(app, { assetsDir: '/nonexistent/explorer/' })
  t.teardown(() => app.close())
  const res = await app.inject({ url: '/' })
  t.equal(res.statusCode, 503)
  t.equal(res.json().error.code, 'EXPLORER_NOT_BUILT')
  t.match(res.json().error.message, /npm run build/)
})

t.test('config api.explorer: on unless false', async (t) => {
  const base = { genesisFile: 'g.json', keyFile: 'k.json', dataDir: 'data' }
  t.equal(parseNodeConfig(base, '/x').api.explorer, undefined, 'absent: on (the nodes pass explorer !== false)')
  t.equal(parseNodeConfig({ ...base, api: { explorer: false } }, '/x').api.explorer, false)
  t.throws(() => parseNodeConfig({ ...base, api: { explorer: 'no' } }, '/x'), /api\.explorer/)
})

t.test('a node process serves it; `seqnode start --no-explorer` does not', async (t) => {
  const home = await makeNodeHome(t)
  for (const [args, status] of [[[], 200], [['--no-explorer'], 404]] as const) {
    const child = spawn(process.execPath, ['bin/seqnode.js', 'start', '--config', home.configFile, '--api-port', '0', '--log-level', 'warn', ...args], { cwd: repoRoot, stdio: ['ignore', 'ignore', 'pipe'] })
    const exited = new Promise((resolve) => child.once('exit', resolve))
    t.teardown(async () => { child.kill('SIGKILL'); await exited })
    let stderr = ''
    const url = await new Promise<string>((resolve, reject) => {
      child.stderr.setEncoding('utf8')
      child.stderr.on('data', (chunk: string) => {
        stderr += chunk
        const match = /API listening on (http:\/\/\S+)/.exec(stderr)
        if (match !== null) resolve(match[1]!)
      })
      child.once('exit', () => reject(new Error(`seqnode exited: ${stderr}`)))
    })
    t.equal((await fetch(`${url}/`)).status, status, `${args.join(' ') || 'default'}: GET / is ${status}`)
    t.equal(/explorer at /.test(stderr), status === 200, 'the explorer URL is printed only when served')
    child.kill('SIGTERM')
    await exited
  }
})
