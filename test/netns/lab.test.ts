/**
 * The lab itself: the support probe (and its forced failure, which the netns tests turn
 * into a clean skip), namespaces and addresses as promised, partition rules added and
 * removed, everything gone after destroy, and the sweep of namespaces a dead run left.
 */
import t from 'tap'
import { spawn, spawnSync } from 'node:child_process'
import { FORCE_UNAVAILABLE_ENV, NETNS_PREFIX, NetLab, NetnsError, probeNetnsSupport, sweepStaleNamespaces } from '../../netns/index.js'
import { repoRoot } from '../helpers/node-process.js'

// probed before the first subtest, which forces the probe to fail while it runs
const support = await probeNetnsSupport()
const ip = (...args: string[]): string => spawnSync('ip', args, { encoding: 'utf8' }).stdout

t.test('a forced probe failure is reported, and the netns tests skip with the reason', async (t) => {
  process.env[FORCE_UNAVAILABLE_ENV] = '1'
  t.teardown(() => { delete process.env[FORCE_UNAVAILABLE_ENV] })
  const support = await probeNetnsSupport()
  t.same(support, { ok: false, reason: `${FORCE_UNAVAILABLE_ENV} is set` }, 'the probe fails with the reason')
  for (const file of ['test/netns/partition.test.ts', 'test/netns/netem.test.ts', 'test/netns/followers.test.ts']) {
    const child = spawn(process.execPath, ['--import', './src/polyfills/register.js', '--import', 'tsx', file], {
      cwd: repoRoot, env: { ...process.env, [FORCE_UNAVAILABLE_ENV]: '1' }, stdio: ['ignore', 'pipe', 'pipe']
    })
    let out = ''
    child.stdout.setEncoding('utf8').on('data', (d: string) => { out += d })
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve))
    t.equal(code, 0, `${file} exits 0 when namespaces are unavailable`)
    t.match(out, new RegExp(`1\\.\\.0 # network namespaces unavailable: ${FORCE_UNAVAILABLE_ENV} is set`, 'i'), `${file} plans 0 tests and says why`)
  }
})

t.test('namespaces, addresses, partition rules and cleanup', { skip: support.ok ? false : `network namespaces unavailable: ${support.ok ? '' : support.reason}` }, async (t) => {
  await t.rejects(NetLab.create({ nodes: 0 }), NetnsError, 'a lab of 0 nodes is refused')
  const lab = await NetLab.create({ nodes: 3 })
  t.teardown(async () => { await lab.destroy() })
  const names = ip('netns', 'list')
  for (const n of lab.nodes) {
    t.ok(names.includes(n.ns), `${n.ns} exists`)
    t.match(ip('-n', n.ns, '-4', 'addr', 'show', 'dev', 'eth0'), `inet ${n.addr}/24`, `${n.ns} has ${n.addr}`)
    t.match(ip('-n', n.ns, 'link', 'show', 'lo'), /UP/, `${n.ns} has loopback up`)
  }
  t.match(lab.nodes[0]!.ns, new RegExp(`^${NETNS_PREFIX}${process.pid}-[0-9a-f]{6}-n0$`), 'names carry the pid and a random part')
  t.match(ip('route', 'get', lab.nodes[2]!.addr), lab.routerAddr, 'the root namespace reaches the nodes through the router')

  await lab.partition([[0], [1, 2]])
  t.equal(ip('-n', lab.router, 'rule').split('\n').filter((l) => l.includes('blackhole')).length, 4, '0 | 1,2 takes 4 directed blackhole rules')
  await t.rejects(lab.partition([[0], [0, 1]]), { code: 'NETNS_BAD_ARGUMENT' }, 'a node in two groups is refused')
  await lab.setLink(1, false)
  t.match(ip('-n', lab.router, 'link', 'show', lab.nodes[1]!.routerDev), /state DOWN/, 'setLink takes the veth down')
  await lab.heal()
  t.equal(ip('-n', lab.router, 'rule').split('\n').filter((l) => l.includes('blackhole')).length, 0, 'heal removes every rule')
  t.notMatch(ip('-n', lab.router, 'link', 'show', lab.nodes[1]!.routerDev), /state DOWN/, 'heal brings the veth back up')

  await lab.destroy()
  const after = ip('netns', 'list')
  t.same([lab.router, ...lab.nodes.map((n) => n.ns)].filter((ns) => after.includes(ns)), [], 'destroy removes every namespace')
  t.notMatch(ip('-4', 'route'), lab.routerAddr, 'and the root route through the uplink')
})

t.test('the sweep removes namespaces of a run whose pid is gone, and only those', { skip: support.ok ? false : 'network namespaces unavailable' }, async (t) => {
  const dead = spawnSync(process.execPath, ['-e', '0']).pid!
  const stale = `${NETNS_PREFIX}${dead}-abcdef-n0`
  const live = `${NETNS_PREFIX}${process.pid}-abcdef-n9`
  for (const ns of [stale, live]) spawnSync('ip', ['netns', 'add', ns])
  t.teardown(() => { for (const ns of [stale, live]) spawnSync('ip', ['netns', 'del', ns]) })
  const removed = await sweepStaleNamespaces()
  t.ok(removed.includes(stale), `${stale} (pid ${dead} is gone) is swept`)
  t.notOk(removed.includes(live), `${live} (this process) is kept`)
  t.ok(ip('netns', 'list').includes(live), 'the live one still exists')
})
