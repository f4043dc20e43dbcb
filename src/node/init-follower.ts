/**
 * `seqnode init-follower`: a follower's folder next to a committee's home: a fresh node key
 * (never a member's), a config with `role: follower` whose public network dials the
 * members' public addresses (their public identity is their committee key), and the path
 * of the committee's genesis.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join, relative } from 'node:path'
import { generateKeyPair, hexToBytes, saveKeyFile } from '../crypto/index.js'
import { peerIdFromCommitteeKey } from '../p2p/identity.js'
import { parseNodeConfig, type NodeConfigFile } from './config.js'
import { parseGenesis } from './genesis.js'

export interface InitFollowerOptions {
  /** the committee's home (genesis.json, node-i/config.json) */
  home: string
  /** the follower's folder */
  dir: string
  apiPort: number
  publicPort: number
  /** in-process rollups (default: node-0's) */
  rollups?: NodeConfigFile['rollups']
  /** other followers' public multiaddrs (with /p2p/) to dial too */
  extraBootstrap?: string[]
}

export interface InitFollowerResult {
  configFile: string
  /** this follower's public multiaddr, for other followers' bootstrap */
  publicAddr: string
}

export async function initFollower (opts: InitFollowerOptions): Promise<InitFollowerResult> {
  const genesisFile = join(opts.home, 'genesis.json')
  const genesis = parseGenesis(JSON.parse(await readFile(genesisFile, 'utf8')))
  const bootstrap: string[] = []
  let memberRollups: NodeConfigFile['rollups'] = []
  for (const [index, member] of genesis.committee.entries()) {
    const memberDir = join(opts.home, `node-${index}`)
    const config = parseNodeConfig(JSON.parse(await readFile(join(memberDir, 'config.json'), 'utf8')), memberDir)
    if (index === 0) memberRollups = config.rollups
    if (config.public === undefined) continue
    const peerId = peerIdFromCommitteeKey(hexToBytes(member.publicKey)!).toString()
    for (const addr of config.public.announce ?? config.public.listen) bootstrap.push(`${addr}/p2p/${peerId}`)
  }
  if (bootstrap.length === 0) throw new Error(`no member in ${opts.home} has a public network to follow (init with public ports)`)
  await mkdir(opts.dir, { recursive: true })
  const key = generateKeyPair()
  await saveKeyFile(join(opts.dir, 'key.json'), key)
  const config: NodeConfigFile = {
    role: 'follower',
    genesisFile: relative(opts.dir, genesisFile),
    keyFile: 'key.json',
    dataDir: 'data',
    api: { host: '127.0.0.1', port: opts.apiPort },
    mempool: {},
    consensus: {},
    p2p: { listen: [], peers: [], chunkTransport: 'direct', maxMessageBytes: 32 * 1024 * 1024 },
    rollups: opts.rollups ?? memberRollups, // the same in-process rollups as the members, so their state roots can be compared
    rollupsDir: 'rollups',
    dev: { control: false },
    logLevel: 'info',
    public: { listen: [`/ip4/127.0.0.1/tcp/${opts.publicPort}`], bootstrap: [...bootstrap, ...(opts.extraBootstrap ?? [])] }
  }
  const configFile = join(opts.dir, 'config.json')
  await writeFile(configFile, JSON.stringify(config, null, 2) + '\n')
  const selfId = peerIdFromCommitteeKey(key.publicKey).toString() // any ed25519 key maps the same way
  return { configFile, publicAddr: `/ip4/127.0.0.1/tcp/${opts.publicPort}/p2p/${selfId}` }
}
