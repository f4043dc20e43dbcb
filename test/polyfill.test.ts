/**
 * libp2p 3 calls Promise.withResolvers, which Node 20 lacks: src/polyfills/register.js must be
 * loaded first (tap's node-arg does it for tests, `node --import` for the node itself).
 */
import t from 'tap'
import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const nodeMajor = Number(process.versions.node.split('.')[0])
const probe = 'const { promise, resolve } = Promise.withResolvers(); resolve(41); promise.then((v) => process.stdout.write(typeof Promise.withResolvers + " " + (v + 1)))'

t.test('Promise.withResolvers exists under the test runner', (t) => {
  t.equal(typeof Promise.withResolvers, 'function')
  t.end()
})

t.test('it resolves and rejects', async (t) => {
  const ok = Promise.withResolvers<number>()
  ok.resolve(42)
  t.equal(await ok.promise, 42, 'resolves with the value')

  const bad = Promise.withResolvers<number>()
  bad.reject(new Error('boom'))
  await t.rejects(bad.promise, { message: 'boom' }, 'rejects with the reason')

  let settled = false
  const pending = Promise.withResolvers<void>()
  void pending.promise.then(() => { settled = true })
  await new Promise((resolve) => setImmediate(resolve))
  t.equal(settled, false, 'stays pending until resolve is called')
  pending.resolve()
  await pending.promise
  t.equal(settled, true, 'settles after resolve')

  const once = Promise.withResolvers<number>()
  once.resolve(1)
  once.resolve(2)
  once.reject(new Error('late'))
  t.equal(await once.promise, 1, 'only the first settlement counts')
})

t.test('libp2p loads and exposes createLibp2p', async (t) => {
  const libp2p = await import('libp2p')
  t.equal(typeof libp2p.createLibp2p, 'function')
})

t.test('node --import ./src/polyfills/register.js installs it in a fresh process', (t) => {
  const out = execFileSync(process.execPath, ['--import', './src/polyfills/register.js', '-e', probe], { cwd: root, encoding: 'utf8' })
  t.equal(out, 'function 42')
  t.end()
})

t.test('without the polyfill, Node < 22 has no Promise.withResolvers', (t) => {
  const out = execFileSync(process.execPath, ['-e', 'process.stdout.write(typeof Promise.withResolvers)'], { cwd: root, encoding: 'utf8' })
  // on Node >= 22 it is native, and the polyfill leaves it alone
  t.equal(out, nodeMajor >= 22 ? 'function' : 'undefined', `node ${process.versions.node}`)
  t.end()
})

t.test('the polyfill does not replace a native implementation', (t) => {
  const script = 'const native = function withResolvers () { return "native" }; Promise.withResolvers = native; ' +
    'import("./src/polyfills/register.js").then(() => process.stdout.write(String(Promise.withResolvers === native)))'
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, encoding: 'utf8' })
  t.equal(out, 'true')
  t.end()
})
