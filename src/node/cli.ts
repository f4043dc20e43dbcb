/**
 * The `seqnode` command line: init, start, status, submit. Run through bin/seqnode.js
 * (which loads the Promise.withResolvers polyfill first) or `npm run seqnode -- ...`.
 */
import { Command, InvalidArgumentError } from 'commander'
import { resolve } from 'node:path'
import { initHome } from './init-home.js'
import { loadNodeConfig } from './config.js'
import { SequencerNode } from './sequencer-node.js'
import { submitCommand } from './cli-submit.js'

function port (value: string): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('expected a port number 0..65535')
  return n
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
  .action(async (opts: { dir: string, chainId: string, nodes: number, rollups: string, apiPort: number, p2pPort?: number }) => {
    const result = await initHome({
      dir: resolve(opts.dir),
      chainId: opts.chainId,
      nodes: opts.nodes,
      rollups: opts.rollups.split(',').map((s) => s.trim()).filter((s) => s !== ''),
      basePort: opts.apiPort,
      ...(opts.p2pPort !== undefined ? { p2pBasePort: opts.p2pPort } : {})
    })
    console.log(`genesis: ${result.genesisFile}`)
    for (const n of result.nodes) console.log(`${n.name}: seqnode start --config ${n.configFile}   (API port ${n.apiPort}, p2p port ${n.p2pPort})`)
  })

program.command('start')
  .description('run a node until SIGINT or SIGTERM')
  .requiredOption('--config <file>', 'node config file (written by init)')
  .option('--api-port <port>', 'override the API port (0 picks a free one)', port)
  .option('--log-level <level>', 'fatal|error|warn|info|debug|trace|silent')
  .action(async (opts: { config: string, apiPort?: number, logLevel?: string }) => {
    const config = await loadNodeConfig(opts.config)
    if (opts.apiPort !== undefined) config.api.port = opts.apiPort
    if (opts.logLevel !== undefined) config.logLevel = opts.logLevel as typeof config.logLevel
    const node = await SequencerNode.create(config)
    console.error(`seqnode: API listening on ${node.apiUrl}`)
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

submitCommand(program)

program.parseAsync().catch((err: unknown) => {
  const e = err as Error & { code?: string }
  console.error(`seqnode: ${e.message}${e.code !== undefined ? ` (${e.code})` : ''}`)
  process.exit(1)
})
