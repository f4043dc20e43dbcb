/**
 * The `seqnode` command line: init, start, status, submit. Run through bin/seqnode.js
 * (which loads the Promise.withResolvers polyfill first, then the compiled dist/node/cli.js)
 * or `npm run seqnode -- ...`. Each command imports what it runs only when it runs:
 * loading the whole node (libp2p, fastify, level, zod) takes ~0.6 s, which `--help` and
 * `status` do not need.
 */
import { Command, InvalidArgumentError, Option } from 'commander'
import { isIP } from 'node:net'
import { resolve } from 'node:path'
import { submitCommand } from './cli-submit.js'

function port (value: string): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('expected a port number 0..65535')
  return n
}

/** IPv4, IPv6 or a DNS name, comma-separated */
function hostList (value: string): string[] {
  const hosts = value.split(',').map((h) => h.trim())
  for (const h of hosts) {
    if (!isIP(h) && !/^(?=.{1,253}$)[a-zA-Z0-9]([a-zA-Z0-9-]{0,62}[a-zA-Z0-9])?(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,62}[a-zA-Z0-9])?)*$/.test(h)) {
      throw new InvalidArgumentError(`${JSON.stringify(h)} is not an IP address or a DNS name`)
    }
  }
  return hosts
}

function bindHost (value: string): string {
  if (value !== 'host' && !isIP(value)) throw new InvalidArgumentError('expected an IP address or "host"')
  return value
}

function positiveInt (value: string): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a non-negative integer')
  return n
}

const program = new Command()
program.name('seqnode').description('Shared sequencer node: orders rollup transactions into BFT-signed batches').showHelpAfterError()

program.command('init')
  .description('create a genesis file and a folder (key + config) per committee member')
  .requiredOption('--dir <dir>', 'folder to create (genesis.json, node-0/, ...)')
  .option('--chain-id <id>', 'chain id', 'devnet-1')
  .option('--nodes <n>', 'committee size (n = 3f+1 tolerates f faulty members)', positiveInt, 1)
  .option('--rollups <names>', 'comma-separated rollup names; ids are 1, 2, ... in this order', 'token,kv')
  .option('--api-port <port>', 'API port of node-0 (node-i gets port + i)', port, 7300)
  .option('--p2p-port <port>', 'p2p port of node-0 (node-i gets port + i); default API port + 1000', port)
  .option('--public-port <port>', "local layout: public-network port of node-0 (node-i gets port + i), for followers; none by default", port)
  .option('--hosts <a,b,...>', 'one host (IP or DNS name) per member: a self-contained folder per host that listens on --listen-host, announces host:p2p-port and dials the others there (members on distinct hosts share the ports); sets --nodes', hostList)
  .option('--listen-host <ip>', 'with --hosts: p2p listen address, or "host" for each member\'s own host', bindHost, '0.0.0.0')
  .option('--api-host <ip>', 'API bind address, or "host" for each member\'s own host (exposing the API is a deliberate choice)', bindHost, '127.0.0.1')
  .action(async (opts: { dir: string, chainId: string, nodes: number, rollups: string, apiPort: number, p2pPort?: number, publicPort?: number, hosts?: string[], listenHost: string, apiHost: string }, command: Command) => {
    if (opts.hosts !== undefined && opts.publicPort !== undefined) throw new InvalidArgumentError('--public-port is for the local layout; with --hosts add "public" to each config (docs/DEPLOY.md)')
    if (opts.hosts !== undefined && command.getOptionValueSource('nodes') === 'cli' && opts.nodes !== opts.hosts.length) {
      throw new InvalidArgumentError(`--nodes ${opts.nodes} but ${opts.hosts.length} --hosts`)
    }
    if (opts.hosts === undefined && command.getOptionValueSource('listenHost') === 'cli') throw new InvalidArgumentError('--listen-host needs --hosts')
    const { initHome } = await import('./init-home.js')
    const result = await initHome({
      dir: resolve(opts.dir),
      chainId: opts.chainId,
      nodes: opts.hosts?.length ?? opts.nodes,
      rollups: opts.rollups.split(',').map((s) => s.trim()).filter((s) => s !== ''),
      basePort: opts.apiPort,
      ...(opts.p2pPort !== undefined ? { p2pBasePort: opts.p2pPort } : {}),
      ...(opts.publicPort !== undefined ? { publicPorts: Array.from({ length: opts.nodes }, (_, i) => opts.publicPort! + i) } : {}),
      ...(opts.hosts !== undefined ? { hosts: opts.hosts, listenHost: opts.listenHost } : {}),
      apiHost: opts.apiHost
    })
    console.log(`genesis: ${result.genesisFile}`)
    for (const [i, n] of result.nodes.entries()) {
      console.log(`${n.name}: seqnode start --config ${n.configFile}   (${opts.hosts !== undefined ? `host ${opts.hosts[i]!}, ` : ''}API port ${n.apiPort}, p2p port ${n.p2pPort})`)
    }
    if (opts.hosts !== undefined) console.log(`copy each node-i folder to its host (it holds the member's secret key.json); ${result.genesisFile} and faucet.json stay here`)
  })

program.command('init-follower')
  .description("create a follower's folder (its own key, role follower) that follows the committee of --home")
  .requiredOption('--home <dir>', "the committee's home, written by init (members need public ports: init --public-port)")
  .requiredOption('--dir <dir>', "the follower's folder")
  .option('--api-port <port>', 'API port (0 picks a free one)', port, 0)
  .requiredOption('--public-port <port>', 'public-network port other followers dial', port)
  .addOption(new Option('--rollups <which>', "in-process rollups: the members' (to compare state roots) or none (a follower that only serves)").choices(['members', 'none']).default('members'))
  .action(async (opts: { home: string, dir: string, apiPort: number, publicPort: number, rollups: 'members' | 'none' }) => {
    const { initFollower } = await import('./init-follower.js')
    const result = await initFollower({ home: resolve(opts.home), dir: resolve(opts.dir), apiPort: opts.apiPort, publicPort: opts.publicPort, rollups: opts.rollups === 'none' ? [] : undefined })
    console.log(`follower: seqnode start --config ${result.configFile}   (public address ${result.publicAddr})`)
  })

program.command('start')
  .description('run a node until SIGINT or SIGTERM')
  .requiredOption('--config <file>', 'node config file (written by init)')
  .option('--api-port <port>', 'override the API port (0 picks a free one)', port)
  .option('--log-level <level>', 'fatal|error|warn|info|debug|trace|silent')
  .option('--dev-control', 'enable the dev control routes POST /v1/dev/isolate and /v1/dev/heal (the devnet uses it; never on a reachable API)')
  .option('--no-explorer', 'do not serve the explorer page at / of the API (config: api.explorer)')
  .action(async (opts: { config: string, apiPort?: number, logLevel?: string, devControl?: boolean, explorer: boolean }) => {
    const { loadNodeConfig } = await import('./config.js')
    const config = await loadNodeConfig(opts.config)
    if (opts.apiPort !== undefined) config.api.port = opts.apiPort
    if (opts.devControl === true) config.dev.control = true
    if (!opts.explorer) config.api.explorer = false
    if (opts.logLevel !== undefined) config.logLevel = opts.logLevel as typeof config.logLevel
    const node = config.role === 'follower'
      ? await (await import('../follower/follower-node.js')).FollowerNode.create(config)
      : await (await import('./sequencer-node.js')).SequencerNode.create(config)
    console.error(`seqnode: API listening on ${node.apiUrl} (${config.role})`)
    if (config.api.explorer !== false) console.error(`seqnode: explorer at ${node.apiUrl}/`)
    const stop = (signal: string): void => {
      node.logger.info({ signal }, 'stopping')
      void node.close().then(() => process.exit(0))
    }
    process.once('SIGINT', () => stop('SIGINT'))
    process.once('SIGTERM', () => stop('SIGTERM'))
  })

program.command('status')
  .description("print a node's status")
  .option('--api <url>', 'node API URL', 'http://127.0.0.1:7300')
  .action(async (opts: { api: string }) => {
    const res = await fetch(new URL('/v1/status', opts.api))
    if (!res.ok) throw new Error(`status request failed: HTTP ${res.status} ${await res.text()}`)
    console.log(JSON.stringify(await res.json(), null, 2))
  })

program.command('check')
  .description("check a stopped node's data folder: every batch, hash link, commit proof and index (start checks only the recent heights)")
  .option('--config <file>', 'node config file (written by init)')
  .option('--home <dir>', 'node folder holding config.json (instead of --config)')
  .action(async (opts: { config?: string, home?: string }) => {
    const { checkCommand } = await import('./data-check.js')
    await checkCommand(opts)
  })

submitCommand(program)

program.parseAsync().catch((err: unknown) => {
  const e = err as Error & { code?: string }
  console.error(`seqnode: ${e.message}${e.code !== undefined ? ` (${e.code})` : ''}`)
  process.exit(1)
})
