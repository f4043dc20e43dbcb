/**
 * The multi-host layout of docs/DEPLOY.md, with loopback addresses standing in for hosts:
 * `seqnode init --hosts` writes one self-contained folder per member; four `seqnode start`
 * processes, one per 127.0.0.x "host", all on the same ports, form the committee and
 * finalise a tx. Also: the dev control routes are 404 unless turned on, and a member
 * that does not start in time is killed, not left running.
 */
import t from 'tap'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { parseNodeConfig } from '../../src/node/config.js'
import { spawnManaged } from '../../devnet/children.js'
import { startNodeProcess, waitForLine, type NodeProcess } from '../../devnet/node-process.js'
import { freePorts, runCli, tempDir } from '../helpers/node-process.js'
import { running } from './helpers.js'

const HOSTS = ['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5']

t.test('init --hosts: one folder per host; four members on 127.0.0.2-5 with the same ports agree', async (t) => {
  const dir = join(await tempDir(t, 'seq-hosts-'), 'deploy')
  const [apiPort, p2pPort] = await freePorts(2)
  const init = await runCli(['init', '--dir', dir, '--hosts', HOSTS.join(','), '--listen-host', 'host', '--api-host', 'host', '--api-port', String(apiPort), '--p2p-port', String(p2pPort)])
  t.equal(init.code, 0, `init exits 0 (${init.stderr})`)
  t.match(init.stdout, /copy each node-i folder to its host/)

  const configs = await Promise.all(HOSTS.map(async (_h, i) => {
    const nodeDir = join(dir, `node-${i}`)
    return { raw: JSON.parse(await readFile(join(nodeDir, 'config.json'), 'utf8')) as { p2p: { announce?: string[] } }, file: join(nodeDir, 'config.json'), config: parseNodeConfig(JSON.parse(await readFile(join(nodeDir, 'config.json'), 'utf8')), nodeDir) }
  }))
  const genesis = await readFile(join(dir, 'genesis.json'), 'utf8')
  for (const [i, { config, raw }] of configs.entries()) {
    t.equal(config.genesisFile, join(dir, `node-${i}`, 'genesis.json'), `node-${i} has its own genesis`)
    t.equal(await readFile(config.genesisFile, 'utf8'), genesis, `node-${i}'s genesis is the committee's`)
    t.same(config.p2p.listen, [`/ip4/${HOSTS[i]}/tcp/${p2pPort}`], `node-${i} listens on its host`)
    t.same(raw.p2p.announce, [`/ip4/${HOSTS[i]}/tcp/${p2pPort}`], `node-${i} announces its host`)
    t.same(config.p2p.peers.map((p) => p.index), [0, 1, 2, 3].filter((j) => j !== i))
    t.ok(config.p2p.peers.every((p) => p.addrs[0] === `/ip4/${HOSTS[p.index]}/tcp/${p2pPort}`), `node-${i} dials the others at their hosts`)
    t.same(config.api, { host: HOSTS[i], port: apiPort }, `node-${i}'s API`)
    t.equal(config.dev.control, false, 'dev control off by default')
  }

  const nodes: NodeProcess[] = await Promise.all(configs.map((c) => startNodeProcess(c.file, { apiPort, startTimeoutMs: 60_000 })))
  t.teardown(() => Promise.all(nodes.map((n) => n.stop())))
  t.same(nodes.map((n) => n.url), HOSTS.map((h) => `http://${h}:${apiPort}`), 'each API on its host, same port')
  const deadline = Date.now() + 30_000
  let peers: number[] = []
  while (Date.now() < deadline) {
    peers = await Promise.all(nodes.map(async (n) => ((await (await fetch(`${n.url}/v1/status`)).json()) as { peers: number }).peers))
    if (peers.every((p) => p === 3)) break
    await new Promise((r) => setTimeout(r, 200))
  }
  t.same(peers, [3, 3, 3, 3], 'every member connected to the three others')

  const submit = await runCli(['submit', '--api', nodes[2]!.url, '--rollup', 'kv', '--data', 'hello'], { timeoutMs: 40_000 })
  t.equal(submit.code, 0, `a tx through node-2 is final (${submit.stderr})`)
  const height = Number(/final at height (\d+)/.exec(submit.stdout)?.[1])
  const hashes = await Promise.all(nodes.map(async (n) => ((await (await fetch(`${n.url}/v1/blocks/${height}`)).json()) as { hash?: string }).hash))
  t.ok(hashes.every((h) => h !== undefined && h === hashes[0]), `all four hold batch ${height}`)

  const dev = await fetch(`${nodes[0]!.url}/v1/dev/isolate`, { method: 'POST' })
  t.equal(dev.status, 404, 'dev control routes are 404 when dev.control is off')
  t.equal(((await dev.json()) as { error: { code: string } }).error.code, 'NOT_FOUND')
})

t.test('init --hosts refuses a count mismatch and bad host names', async (t) => {
  const dir = join(await tempDir(t, 'seq-hosts-'), 'deploy')
  const mismatch = await runCli(['init', '--dir', dir, '--nodes', '3', '--hosts', 'a,b,c,d'])
  t.not(mismatch.code, 0)
  t.match(mismatch.stderr, /--nodes 3 but 4 --hosts/)
  const bad = await runCli(['init', '--dir', dir, '--hosts', 'a,b_c'])
  t.not(bad.code, 0)
  t.match(bad.stderr, /"b_c" is not an IP address or a DNS name/)
})

t.test('a child that never reports ready is killed on the start timeout', async (t) => {
  const managed = spawnManaged(process.execPath, ['-e', 'setInterval(() => {}, 1000)'])
  const pid = managed.child.pid!
  await t.rejects(waitForLine(managed, /API listening on (\S+)/, 300), /no .* within 300 ms/)
  t.notOk(running(pid), `pid ${pid} is gone`)
})
