/**
 * The `seqnode` command line end to end, as child processes: help texts, `init`, the
 * messages `start` gives for bad configs, and `status` / `submit` against a running node.
 */
import t from 'tap'
import { spawnSync } from 'node:child_process'
import { readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { parseGenesis } from '../../src/node/genesis.js'
import { parseNodeConfig } from '../../src/node/config.js'
import { getJson, makeNodeHome, repoRoot, runCli, startNodeProcess, tempDir } from '../helpers/node-process.js'

/** Module hooks that print every module URL the process loads to stderr: what `seqnode --help` really runs, without timing anything. */
const LOAD_HOOK = 'export async function load (url, context, next) { process.stderr.write("loaded " + url + "\\n"); return next(url, context) }'

t.test('bin/seqnode.js runs the compiled CLI: --help loads no TypeScript, no tsx and not the node itself', async (t) => {
  const dir = await tempDir(t)
  await writeFile(join(dir, 'hooks.mjs'), LOAD_HOOK)
  await writeFile(join(dir, 'record-loads.mjs'), `import { register } from 'node:module'\nregister(${JSON.stringify(pathToFileURL(join(dir, 'hooks.mjs')).href)})\n`)
  const run = spawnSync(process.execPath, ['--import', pathToFileURL(join(dir, 'record-loads.mjs')).href, 'bin/seqnode.js', '--help'], { cwd: repoRoot, encoding: 'utf8' })
  t.equal(run.status, 0, `--help exits 0 (stderr: ${run.stderr.slice(-2000)})`)
  const loaded = run.stderr.split('\n').filter((l) => l.startsWith('loaded ')).map((l) => l.slice('loaded '.length))
  t.ok(loaded.some((url) => url.endsWith('/dist/node/cli.js')), 'dist/node/cli.js is loaded')
  t.same(loaded.filter((url) => url.endsWith('.ts') || url.includes('/node_modules/tsx/')), [], 'no .ts file and no tsx')
  t.same(loaded.filter((url) => /\/node_modules\/(libp2p|fastify|level|classic-level|@libp2p)\//.test(url)), [], 'libp2p, fastify and level are left for the commands that use them')
})

t.test('--help of seqnode and of each command exits 0 and lists its options', async (t) => {
  const cases: Array<[string[], string[]]> = [
    [[], ['init', 'start', 'status', 'submit']],
    [['init'], ['--dir', '--chain-id', '--nodes', '--rollups', '--api-port']],
    [['start'], ['--config', '--api-port', '--log-level']],
    [['status'], ['--api']],
    [['submit'], ['--rollup', '--data', '--api', '--key', '--no-wait']]
  ]
  const results = await Promise.all(cases.map(([command]) => runCli([...command, '--help'])))
  cases.forEach(([command, options], i) => {
    const r = results[i]!
    const name = ['seqnode', ...command].join(' ')
    t.equal(r.code, 0, `${name} --help exits 0`)
    t.match(r.stdout, new RegExp(`^Usage: ${name} `), `${name} --help starts with its usage line`)
    for (const option of options) t.ok(r.stdout.includes(option), `${name} --help mentions ${option}`)
  })
})

t.test('init creates genesis, a 0600 key and a config; a second init refuses', async (t) => {
  const dir = join(await tempDir(t), 'home')
  const first = await runCli(['init', '--dir', dir, '--chain-id', 'cli-test', '--rollups', 'token,kv'])
  t.equal(first.code, 0, `init exits 0 (stderr: ${first.stderr})`)
  const genesisFile = join(dir, 'genesis.json')
  const keyFile = join(dir, 'node-0', 'key.json')
  const configFile = join(dir, 'node-0', 'config.json')
  t.match(first.stdout, `genesis: ${genesisFile}`)
  t.match(first.stdout, `seqnode start --config ${configFile}`)

  const genesisText = await readFile(genesisFile, 'utf8')
  const genesis = parseGenesis(JSON.parse(genesisText))
  t.equal(genesis.chainId, 'cli-test')
  t.same(genesis.rollups.map((r) => [r.id, r.name]), [[1, 'token'], [2, 'kv']], 'rollup ids follow --rollups order')
  t.equal(genesis.committee.length, 1)

  const keyInfo = await stat(keyFile)
  t.equal(keyInfo.mode & 0o777, 0o600, 'key.json is mode 0600')
  const key = JSON.parse(await readFile(keyFile, 'utf8')) as { type: string, publicKey: string, seed: string }
  t.equal(key.type, 'ed25519')
  t.equal(key.publicKey, genesis.committee[0]!.publicKey, 'the key is the committee member of genesis')

  const config = parseNodeConfig(JSON.parse(await readFile(configFile, 'utf8')), join(dir, 'node-0'))
  t.equal(config.genesisFile, genesisFile, 'config points at the genesis')
  t.equal(config.keyFile, keyFile, 'config points at the key')
  t.equal(config.dataDir, join(dir, 'node-0', 'data'))

  const second = await runCli(['init', '--dir', dir])
  t.not(second.code, 0, 'a second init into the same folder fails')
  t.match(second.stderr, /genesis\.json exists already/, 'and says why')
  t.equal(await readFile(genesisFile, 'utf8'), genesisText, 'genesis is left untouched')
})

t.test("init-follower copies node-0's rollups, or none with --rollups none", async (t) => {
  const home = join(await tempDir(t), 'home')
  const init = await runCli(['init', '--dir', home, '--chain-id', 'cli-follower', '--rollups', 'token,kv', '--public-port', '1'])
  t.equal(init.code, 0, `init exits 0 (stderr: ${init.stderr})`)
  const memberRollups = parseNodeConfig(JSON.parse(await readFile(join(home, 'node-0', 'config.json'), 'utf8')), join(home, 'node-0')).rollups
  t.ok(memberRollups.length > 0, 'the member runs rollups')
  for (const [args, expected] of [[[], memberRollups.length], [['--rollups', 'none'], 0]] as Array<[string[], number]>) {
    const dir = join(home, `follower-${args.length}`)
    const run = await runCli(['init-follower', '--home', home, '--dir', dir, '--public-port', '2', ...args])
    t.equal(run.code, 0, `init-follower ${args.join(' ')} exits 0 (stderr: ${run.stderr})`)
    const config = parseNodeConfig(JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')), dir)
    t.equal(config.role, 'follower')
    t.equal(config.rollups.length, expected, `init-follower ${args.join(' ') || '(default)'}: ${expected} in-process rollups`)
  }
  const bad = await runCli(['init-follower', '--home', home, '--dir', join(home, 'f-bad'), '--public-port', '3', '--rollups', 'some'])
  t.not(bad.code, 0, 'an unknown --rollups value is refused')
})

t.test('start refuses bad configs with a message naming the problem', async (t) => {
  const home = await makeNodeHome(t)
  const nodeDir = join(home.dir, 'node-0')
  const base = JSON.parse(await readFile(home.configFile, 'utf8')) as Record<string, unknown>
  const write = async (name: string, text: string): Promise<string> => {
    const file = join(nodeDir, name)
    await writeFile(file, text)
    return file
  }
  const other = await makeNodeHome(t)
  const badGenesis = { ...JSON.parse(await readFile(home.genesisFile, 'utf8')) as Record<string, unknown> }
  badGenesis.rollups = [{ id: 1, name: 'token', weight: 1 }, { id: 1, name: 'kv', weight: 1 }]
  await writeFile(join(home.dir, 'dup-genesis.json'), JSON.stringify(badGenesis))

  const cases: Array<{ name: string, file: string, expect: RegExp[] }> = [
    { name: 'invalid JSON', file: await write('bad-json.json', '{"genesisFile": "../genesis.json",'), expect: [/cannot read node config \S*bad-json\.json/, /JSON/] },
    { name: 'unknown top-level field', file: await write('unknown.json', JSON.stringify({ ...base, extraField: 1 })), expect: [/invalid node config/, /Unrecognized key.*extraField/] },
    { name: 'unknown nested field', file: await write('unknown-api.json', JSON.stringify({ ...base, api: { host: '127.0.0.1', port: 0, tls: true } })), expect: [/invalid node config/, /api: Unrecognized key.*tls/] },
    { name: 'wrongly typed field', file: await write('bad-port.json', JSON.stringify({ ...base, api: { host: '127.0.0.1', port: 'eighty' } })), expect: [/invalid node config/, /api\.port/] },
    { name: 'genesis with a duplicate rollup id', file: await write('dup.json', JSON.stringify({ ...base, genesisFile: '../dup-genesis.json' })), expect: [/invalid genesis/, /rollups: rollup ids must be unique/] },
    {
      name: 'key not in the committee',
      file: await write('foreign-key.json', JSON.stringify({ ...base, keyFile: join(other.dir, 'node-0', 'key.json'), dataDir: 'data-foreign' })),
      expect: [/not a member of the genesis committee/]
    }
  ]
  const results = await Promise.all(cases.map((c) => runCli(['start', '--config', c.file, '--api-port', '0'])))
  cases.forEach((c, i) => {
    const r = results[i]!
    t.equal(r.code, 1, `${c.name}: exits 1 (signal ${r.signal})`)
    t.notMatch(r.stderr, /API listening/, `${c.name}: never listens`)
    for (const re of c.expect) t.match(r.stderr, re, `${c.name}: stderr matches ${re}`)
  })
})

t.test('status and submit against a running node', async (t) => {
  const home = await makeNodeHome(t, { chainId: 'cli-status' })
  const node = await startNodeProcess(t, home.configFile)

  const status = await runCli(['status', '--api', node.url])
  t.equal(status.code, 0, `status exits 0 (stderr: ${status.stderr})`)
  const parsed = JSON.parse(status.stdout) as { chainId: string, height: number, rollups: Array<{ id: number, name: string }> }
  t.equal(parsed.chainId, 'cli-status')
  t.equal(parsed.height, -1, 'no batch yet')

  const submit = await runCli(['submit', '--rollup', 'kv', '--data', 'hi', '--api', node.url])
  t.equal(submit.code, 0, `submit exits 0 (stderr: ${submit.stderr})`)
  t.match(submit.stdout, /submitted [0-9a-f]{64}/)
  const final = /final at height (\d+), index (\d+)/.exec(submit.stdout)
  t.ok(final, `submit prints "final at height" (stdout: ${submit.stdout})`)
  const height = Number(final?.[1])
  const hash = /submitted ([0-9a-f]{64})/.exec(submit.stdout)?.[1]

  const slice = await getJson<{ txs: Array<{ txHash: string, payload: string }> }>(node.url, `/v1/rollups/kv/slices/${height}`)
  const leaf = slice.txs.find((x) => x.txHash === hash)
  t.equal(leaf?.payload, Buffer.from('hi').toString('base64'), 'the kv slice at that height carries the payload')

  const [after, unknown] = await Promise.all([
    runCli(['status', '--api', node.url]),
    runCli(['submit', '--rollup', 'nope', '--data', 'x', '--api', node.url])
  ])
  t.ok((JSON.parse(after.stdout) as { height: number }).height >= height, 'status shows the new height')
  t.equal(unknown.code, 1, 'submit to an unknown rollup fails')
  t.match(unknown.stderr, /unknown rollup nope; known: token, kv/)

  const second = await runCli(['start', '--config', home.configFile, '--api-port', '0'])
  t.equal(second.code, 1, 'a second node on the same data folder fails')
  t.match(second.stderr, /cannot open database at \S*data: another process is using it/, 'and says why')
  t.equal((await getJson<{ chainId: string }>(node.url, '/v1/status')).chainId, 'cli-status', 'the first node keeps serving')

  const exit = await node.kill('SIGTERM')
  t.same(exit, { code: 0, signal: null }, 'SIGTERM stops the node cleanly with exit code 0')
})

t.test('an init that fails validation leaves nothing behind, so a corrected retry works', async (t) => {
  const dir = join(await tempDir(t), 'home')
  const bad = await runCli(['init', '--dir', dir, '--chain-id', 'bad id!'])
  t.equal(bad.code, 1, 'an invalid chain id is refused')
  t.match(bad.stderr, /chainId: letters, digits, dot, dash, underscore/, 'naming the field')
  const retry = await runCli(['init', '--dir', dir, '--chain-id', 'good-id'])
  t.equal(retry.code, 0, `the corrected init succeeds (stderr: ${retry.stderr.trim()})`)
})
