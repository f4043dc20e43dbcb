/**
 * `seqnode init`: creates a genesis file and, per committee member, a node folder with its
 * key (mode 0600) and config. Refuses to overwrite an existing genesis.
 *
 * Two layouts: a local committee (default; every member on 127.0.0.1, ports base + i,
 * configs point at the shared ../genesis.json), or with `hosts` one self-contained folder
 * per host (its own copy of genesis.json) to copy to that host: each member listens on
 * `listenHost`, announces `<host>:<p2p port>` and dials the others at their announced
 * addresses (docs/DEPLOY.md).
 */
import { mkdir, writeFile, access } from 'node:fs/promises'
import { isIP, isIPv4, isIPv6 } from 'node:net'
import { join } from 'node:path'
import { bytesToHex, generateKeyPair, saveKeyFile } from '../crypto/index.js'
import { parseGenesis, type GenesisJson } from './genesis.js'
import type { NodeConfig, NodeConfigFile } from './config.js'

export interface InitOptions {
  dir: string
  chainId: string
  nodes: number
  rollups: string[]
  basePort: number
  /** p2p port of node-0 (node-i gets port + i); default basePort + 1000 */
  p2pBasePort?: number
  /** explicit p2p ports, one per node (overrides p2pBasePort) */
  p2pPorts?: number[]
  /** overrides of the default genesis limits */
  limits?: Partial<GenesisJson['limits']>
  /** one host (IP or DNS name) per member: the multi-host layout; `nodes` must match its length */
  hosts?: string[]
  /** multi-host: the address each member's p2p listens on (default 0.0.0.0; 'host' = the member's own host) */
  listenHost?: string
  /** the API's bind address (default 127.0.0.1; 'host' = the member's own host) */
  apiHost?: string
  /** turn on the dev control routes in every config (the devnet passes --dev-control instead) */
  devControl?: boolean
  /** local layout: each member's public-network port (followers dial these); none: no public network */
  publicPorts?: number[]
}

export const defaultGenesisLimits: GenesisJson['limits'] = {
  maxPayloadBytes: 64 * 1024, // room for a rollup's own batch of transfers
  maxActionsPerTx: 16, // a bundle touches a few rollups; more is a batching client's job
  maxTxBytes: 128 * 1024, // a full-size payload plus envelope
  maxBatchTxs: 10_000, // keeps one batch's NMT build near 20-40 ms on this machine
  maxBatchBytes: 8 * 1024 * 1024, // bytes of txs per batch; a few MB keeps proposals quick to move
  maxExpiryWindowMs: 60 * 60 * 1000 // bounds how long a tx hash must be remembered for replay checks
}

/** Token balance of the faucet account in a new home (well below 2^53). */
export const FAUCET_BALANCE = 1_000_000_000_000

export interface InitResult {
  genesisFile: string
  nodes: Array<{ name: string, dir: string, configFile: string, apiPort: number, p2pPort: number }>
}

export async function initHome (opts: InitOptions): Promise<InitResult> {
  const genesisFile = join(opts.dir, 'genesis.json')
  if (await exists(genesisFile)) throw new Error(`${genesisFile} exists already; use another --dir or remove it`)
  // Keys and genesis are made and checked in memory first, so a refused init writes nothing.
  const hosts = opts.hosts
  if (hosts !== undefined && hosts.length !== opts.nodes) throw new Error(`${hosts.length} hosts for a committee of ${opts.nodes}`)
  for (const [setting, flag] of [[opts.listenHost, '--listen-host'], [opts.apiHost, '--api-host']] as const) {
    const name = setting === 'host' ? hosts?.find((h) => isIP(h) === 0) : undefined
    if (name !== undefined) throw new Error(`${flag} host binds each member to its host's address, but ${name} is a DNS name; use 0.0.0.0`)
  }
  const members = Array.from({ length: opts.nodes }, (_, i) => {
    const name = `node-${i}`
    // Members on different hosts can all use the base ports; members sharing a host count up.
    const offset = hosts === undefined ? i : hosts.slice(0, i).filter((h) => h === hosts[i]).length
    const host = hosts?.[i] ?? '127.0.0.1'
    return { name, host, key: generateKeyPair(), dir: join(opts.dir, name), apiPort: opts.basePort === 0 ? 0 : opts.basePort + offset, p2pPort: opts.p2pPorts?.[i] ?? (opts.p2pBasePort ?? opts.basePort + 1000) + offset }
  })
  const genesis: GenesisJson = {
    chainId: opts.chainId,
    genesisTime: Date.now(),
    committee: members.map((m) => ({ name: m.name, publicKey: bytesToHex(m.key.publicKey) })),
    rollups: opts.rollups.map((name, i) => ({ id: i + 1, name, weight: 1 })),
    limits: { ...defaultGenesisLimits, ...opts.limits }
  }
  parseGenesis(genesis)
  // The devnet faucet: the one account of the token rollup's genesis allocation.
  const faucet = generateKeyPair()
  const rollups: NodeConfig['rollups'] = genesis.rollups.flatMap((r): NodeConfig['rollups'] => {
    if (r.name === 'token') return [{ kind: 'token', rollupId: r.id, genesis: [{ account: bytesToHex(faucet.publicKey), balance: FAUCET_BALANCE }] }]
    if (r.name === 'kv') return [{ kind: 'kv', rollupId: r.id }]
    return []
  })
  await mkdir(opts.dir, { recursive: true })
  await saveKeyFile(join(opts.dir, 'faucet.json'), faucet)
  for (const m of members) {
    await mkdir(m.dir, { recursive: true })
    await saveKeyFile(join(m.dir, 'key.json'), m.key)
  }
  const genesisText = JSON.stringify(genesis, null, 2) + '\n'
  await writeFile(genesisFile, genesisText)
  // Multi-host: each member folder carries its own genesis, so the folder alone goes to its host.
  if (hosts !== undefined) for (const m of members) await writeFile(join(m.dir, 'genesis.json'), genesisText)
  const bindAddress = (setting: string | undefined, fallback: string, host: string): string => setting === 'host' ? host : setting ?? fallback
  const nodes: InitResult['nodes'] = []
  for (const [index, m] of members.entries()) {
    const config: NodeConfigFile = {
      role: 'member',
      genesisFile: hosts === undefined ? '../genesis.json' : 'genesis.json',
      keyFile: 'key.json',
      dataDir: 'data',
      api: { host: bindAddress(opts.apiHost, '127.0.0.1', m.host), port: m.apiPort },
      mempool: {},
      consensus: {},
      p2p: {
        listen: [tcpAddr(hosts === undefined ? '127.0.0.1' : bindAddress(opts.listenHost, '0.0.0.0', m.host), m.p2pPort)],
        ...(hosts !== undefined ? { announce: [tcpAddr(m.host, m.p2pPort)] } : {}),
        peers: members.flatMap((other, j) => j === index ? [] : [{ index: j, addrs: [tcpAddr(other.host, other.p2pPort)] }]),
        chunkTransport: 'direct',
        maxMessageBytes: 32 * 1024 * 1024
      },
      rollups,
      rollupsDir: 'rollups',
      dev: { control: opts.devControl ?? false },
      logLevel: 'info',
      ...(opts.publicPorts?.[index] !== undefined ? { public: { listen: [tcpAddr('127.0.0.1', opts.publicPorts[index])], bootstrap: [] } } : {})
    }
    const configFile = join(m.dir, 'config.json')
    await writeFile(configFile, JSON.stringify(config, null, 2) + '\n')
    nodes.push({ name: m.name, dir: m.dir, configFile, apiPort: m.apiPort, p2pPort: m.p2pPort })
  }
  return { genesisFile, nodes }
}

/** A TCP multiaddr for an IPv4 or IPv6 address or a DNS name. */
export function tcpAddr (host: string, port: number): string {
  const proto = isIPv4(host) ? 'ip4' : isIPv6(host) ? 'ip6' : 'dns4'
  return `/${proto}/${host}/tcp/${port}`
}

async function exists (path: string): Promise<boolean> {
  try {
    await access(path)
    return true
  } catch {
    return false
  }
}
