/**
 * Node configuration file (JSON), validated with zod. Relative paths are resolved against
 * the folder of the config file, so a node folder can be moved as a whole.
 */
import { readFile } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { z } from 'zod'
import type { ApiLimits } from '../api/index.js'
import { defaultMempoolOptions, type MempoolOptions } from '../mempool/index.js'
import { defaultConsensusDriverOptions, type ConsensusDriverOptions } from '../ordering/index.js'
import { INJECTABLE_FAULT_CODES, STORE_WRITE_PATHS, type StoreFaultOptions } from '../store/index.js'
import { ConfigError } from './errors.js'

export const PublicNetworkConfigSchema = z.object({
  /** where the public libp2p host (txs and final batches for followers) binds */
  listen: z.array(z.string()).min(1),
  announce: z.array(z.string()).optional(),
  /** peers to dial and keep: members' or other followers' public multiaddrs, with /p2p/<id> */
  bootstrap: z.array(z.string()).default([])
}).strict()

export const NodeConfigSchema = z.object({
  /** member: votes (its key is in genesis); follower: verifies and serves final batches, relays txs */
  role: z.enum(['member', 'follower']).default('member'),
  genesisFile: z.string().min(1),
  keyFile: z.string().min(1),
  dataDir: z.string().min(1),
  api: z.object({
    host: z.string().default('127.0.0.1'),
    port: z.number().int().min(0).max(65535).default(7300),
    /** the explorer page at `/` (src/explorer): on unless set to false */
    explorer: z.boolean().optional(),
    // abuse limits (ApiLimits in src/api/server.ts; defaults there)
    maxConnections: z.number().int().min(1).optional(),
    maxConnectionsPerIp: z.number().int().min(1).optional(),
    headersTimeoutMs: z.number().int().min(100).optional(),
    requestTimeoutMs: z.number().int().min(100).optional(),
    keepAliveTimeoutMs: z.number().int().min(1).optional(),
    idleTimeoutMs: z.number().int().min(100).optional(),
    maxStreamSubscribers: z.number().int().min(1).optional(),
    streamBufferBudgetBytes: z.number().int().min(64 * 1024).optional(),
    streamStallTimeoutMs: z.number().int().min(100).optional(),
    wsMaxPayloadBytes: z.number().int().min(125).optional(),
    streamHeartbeatMs: z.number().int().min(50).max(60_000).optional(),
    maxTxWaiters: z.number().int().min(1).optional(),
    maxTxStreams: z.number().int().min(1).optional(),
    maxWatchedPerTxStream: z.number().int().min(1).optional()
  }).strict().default({ host: '127.0.0.1', port: 7300 }),
  mempool: z.object({
    maxTxs: z.number().int().min(1).optional(),
    maxBytes: z.number().int().min(1024).optional(),
    quantumBytes: z.number().int().min(1).optional(),
    rejectionMemory: z.number().int().min(0).optional(),
    retryAfterSeconds: z.number().int().min(1).optional(),
    reservedFraction: z.number().min(0).max(1).optional(),
    maxLagMs: z.number().int().min(1).optional(),
    overloadMinBacklogTxs: z.number().int().min(0).optional()
  }).strict().default({}),
  consensus: z.object({
    baseTimeoutMs: z.number().int().min(10).max(600_000).optional(),
    maxTimeoutMs: z.number().int().min(10).max(3_600_000).optional(),
    requestTimeoutMs: z.number().int().min(10).optional(),
    maxClockDriftMs: z.number().int().min(0).optional(),
    maxClockOffsetMs: z.number().int().min(0).max(3_600_000).optional(),
    syncIntervalMs: z.number().int().min(10).optional(),
    syncBatchSize: z.number().int().min(1).max(1024).optional(),
    chunkDelayMs: z.number().min(0).max(10_000).optional(),
    maxChunkDelayMs: z.number().min(0).max(10_000).optional(),
    packAtTxs: z.number().int().min(1).optional(),
    maxChunkTxs: z.number().int().min(1).optional(),
    maxChunkBytes: z.number().int().min(1024).optional(),
    maxOwnPendingChunks: z.number().int().min(1).optional()
  }).strict().default({}),
  p2p: z.object({
    listen: z.array(z.string()).default(['/ip4/127.0.0.1/tcp/0']),
    announce: z.array(z.string()).optional(),
    /** where to reach the other committee members: index -> multiaddrs */
    peers: z.array(z.object({ index: z.number().int().min(0), addrs: z.array(z.string()).min(1) }).strict()).default([]),
    chunkTransport: z.enum(['direct', 'gossipsub']).default('direct'),
    maxMessageBytes: z.number().int().min(1024).default(32 * 1024 * 1024),
    /** the fastest rounds the committee may run; the per-peer inbound frame limits derive from it (p2p/peer-guard.ts frameLimitsFor) */
    maxRoundsPerSecond: z.number().int().min(1).max(100_000).optional()
  }).strict().default({ listen: ['/ip4/127.0.0.1/tcp/0'], peers: [], chunkTransport: 'direct', maxMessageBytes: 32 * 1024 * 1024 }),
  /** built-in rollups this node executes in-process (every node of a devnet runs the same) */
  rollups: z.array(z.object({
    kind: z.enum(['token', 'kv']),
    rollupId: z.number().int().min(0),
    /** token: [{account: hex, balance}] */
    genesis: z.unknown().optional()
  }).strict()).default([]),
  rollupsDir: z.string().default('rollups'),
  /** the public network (docs/ARCHITECTURE.md, followers); a member without it serves no followers */
  public: PublicNetworkConfigSchema.optional(),
  /** storage; `faults` makes writes fail or wait on purpose (tests and dev runs only: src/store/fault-injection.ts) */
  store: z.object({
    faults: z.object({
      failPaths: z.array(z.enum(STORE_WRITE_PATHS)).default([]),
      code: z.enum(INJECTABLE_FAULT_CODES).default('ENOSPC'),
      failAfter: z.number().int().min(0).default(0),
      failCount: z.number().int().min(1).nullable().default(null),
      delayMs: z.number().int().min(0).max(600_000).default(0),
      delayPaths: z.array(z.enum(STORE_WRITE_PATHS)).default([...STORE_WRITE_PATHS])
    }).strict().optional()
  }).strict().optional(),
  /** dev control routes (/v1/dev/isolate, /v1/dev/heal): off unless the devnet turns them on */
  dev: z.object({ control: z.boolean().default(false) }).strict().default({ control: false }),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info')
}).strict()

export type NodeConfigFile = z.infer<typeof NodeConfigSchema>

export interface NodeConfig {
  role: 'member' | 'follower'
  genesisFile: string
  keyFile: string
  dataDir: string
  api: { host: string, port: number, explorer?: boolean } & Partial<ApiLimits>
  mempool: MempoolOptions
  consensus: ConsensusDriverOptions
  p2p: NodeConfigFile['p2p']
  rollups: NodeConfigFile['rollups']
  rollupsDir: string
  store: { faults?: StoreFaultOptions }
  dev: { control: boolean }
  logLevel: NodeConfigFile['logLevel']
  public?: z.infer<typeof PublicNetworkConfigSchema>
}

/** Validates a parsed config; `baseDir` resolves relative paths. */
export function parseNodeConfig (json: unknown, baseDir: string): NodeConfig {
  const result = NodeConfigSchema.safeParse(json)
  if (!result.success) {
    const problems = result.error.issues.map((i) => `  ${i.path.join('.') || '(root)'}: ${i.message}`).join('\n')
    throw new ConfigError(`invalid node config:\n${problems}`)
  }
  const c = result.data
  const defined = <T extends object>(o: T): Partial<T> => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>
  if (c.role === 'follower' && c.public === undefined) throw new ConfigError('invalid node config:\n  public: a follower needs the public network (listen, bootstrap)')
  return {
    role: c.role,
    ...(c.public !== undefined ? { public: c.public } : {}),
    genesisFile: resolve(baseDir, c.genesisFile),
    keyFile: resolve(baseDir, c.keyFile),
    dataDir: resolve(baseDir, c.dataDir),
    api: c.api,
    mempool: { ...defaultMempoolOptions, ...defined(c.mempool) },
    consensus: consensusOptions(c.consensus, defined),
    p2p: c.p2p,
    rollups: c.rollups,
    rollupsDir: resolve(baseDir, c.rollupsDir),
    store: c.store?.faults === undefined ? {} : { faults: c.store.faults },
    dev: c.dev,
    logLevel: c.logLevel
  }
}

function consensusOptions (c: NodeConfigFile['consensus'], defined: <T extends object>(o: T) => Partial<T>): ConsensusDriverOptions {
  const { chunkDelayMs, maxChunkDelayMs, packAtTxs, maxChunkTxs, maxChunkBytes, maxOwnPendingChunks, ...driver } = c
  return {
    ...defaultConsensusDriverOptions,
    ...defined(driver),
    packer: { ...defaultConsensusDriverOptions.packer, ...defined({ chunkDelayMs, maxChunkDelayMs, packAtTxs, maxChunkTxs, maxChunkBytes, maxOwnPendingChunks }) }
  }
}

export async function loadNodeConfig (path: string): Promise<NodeConfig> {
  let json: unknown
  try {
    json = JSON.parse(await readFile(path, 'utf8'))
  } catch (err) {
    throw new ConfigError(`cannot read node config ${path}: ${(err as Error).message}`)
  }
  return parseNodeConfig(json, dirname(resolve(path)))
}
