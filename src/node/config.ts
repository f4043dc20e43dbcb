/**
 * Node configuration file (JSON), validated with zod. Relative paths are resolved against
 * the folder of the config file, so a node folder can be moved as a whole.
 */
import { readFile } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { z } from 'zod'
import { defaultMempoolOptions } from '../mempool/index.js'
import { defaultConsensusDriverOptions, type ConsensusDriverOptions } from '../ordering/index.js'
import { defaultStoreFaultOptions, INJECTABLE_FAULT_CODES, STORE_WRITE_PATHS } from '../store/index.js'
import { ConfigError } from './errors.js'

export const PublicNetworkConfigSchema = z.object({
  /** where the public libp2p host (txs and final batches for followers) binds */
  listen: z.array(z.string()).min(1),
  announce: z.array(z.string()).optional(),
  /** peers to dial and keep: members' or other followers' public multiaddrs, with /p2p/<id> */
  bootstrap: z.array(z.string()).default([])
}).strict()

/*
 * Each option is declared once, here: its bounds, and its default with a one-line reason.
 * Subsystem options (mempool, consensus, store faults) take their defaults, and the reasons
 * for them, from the subsystem's defaultXOptions, so a parsed config is complete and its
 * TypeScript type is the schema's (z.infer), not a second declaration.
 */
const mempoolDefaults = defaultMempoolOptions
const driverDefaults = defaultConsensusDriverOptions
const packerDefaults = defaultConsensusDriverOptions.packer
const faultDefaults = defaultStoreFaultOptions

export const NodeConfigSchema = z.object({
  /** member: votes (its key is in genesis); follower: verifies and serves final batches, relays txs */
  role: z.enum(['member', 'follower']).default('member'), // most nodes are committee members
  genesisFile: z.string().min(1),
  keyFile: z.string().min(1),
  dataDir: z.string().min(1),
  api: z.object({
    host: z.string().default('127.0.0.1'), // loopback until the operator opens it on purpose
    port: z.number().int().min(0).max(65535).default(7300), // the port the docs and the CLI use
    /** the explorer page at `/` (src/explorer): on unless set to false */
    explorer: z.boolean().optional(),
    // abuse limits (ApiLimits in src/api/server.ts; defaults and reasons there)
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
  }).strict().prefault({}),
  mempool: z.object({
    maxTxs: z.number().int().min(1).default(mempoolDefaults.maxTxs),
    maxBytes: z.number().int().min(1024).default(mempoolDefaults.maxBytes),
    quantumBytes: z.number().int().min(1).default(mempoolDefaults.quantumBytes),
    rejectionMemory: z.number().int().min(0).default(mempoolDefaults.rejectionMemory),
    retryAfterSeconds: z.number().int().min(1).default(mempoolDefaults.retryAfterSeconds),
    reservedFraction: z.number().min(0).max(1).default(mempoolDefaults.reservedFraction),
    admitTargetMs: z.number().int().min(1).default(mempoolDefaults.admitTargetMs),
    overloadMinHeldTxs: z.number().int().min(0).default(mempoolDefaults.overloadMinHeldTxs),
    overloadMinHeldBytes: z.number().int().min(0).default(mempoolDefaults.overloadMinHeldBytes),
    maxLagMs: z.number().int().min(1).default(mempoolDefaults.maxLagMs),
    overloadMinBacklogTxs: z.number().int().min(0).default(mempoolDefaults.overloadMinBacklogTxs),
    laneRateTxPerSec: z.number().min(0).default(mempoolDefaults.laneRateTxPerSec),
    laneBurstSeconds: z.number().gt(0).max(60).default(mempoolDefaults.laneBurstSeconds),
    laneWeights: z.record(z.string(), z.number().int().min(1).max(1_000_000)).optional()
  }).strict().prefault({}),
  consensus: z.object({
    baseTimeoutMs: z.number().int().min(10).max(600_000).default(driverDefaults.baseTimeoutMs),
    maxTimeoutMs: z.number().int().min(10).max(3_600_000).default(driverDefaults.maxTimeoutMs),
    requestTimeoutMs: z.number().int().min(10).default(driverDefaults.requestTimeoutMs),
    maxClockDriftMs: z.number().int().min(0).default(driverDefaults.maxClockDriftMs),
    maxClockOffsetMs: z.number().int().min(0).max(3_600_000).default(driverDefaults.maxClockOffsetMs),
    syncIntervalMs: z.number().int().min(10).default(driverDefaults.syncIntervalMs),
    syncBatchSize: z.number().int().min(1).max(1024).default(driverDefaults.syncBatchSize),
    chunkDelayMs: z.number().min(0).max(10_000).default(packerDefaults.chunkDelayMs),
    maxChunkDelayMs: z.number().min(0).max(10_000).default(packerDefaults.maxChunkDelayMs),
    packAtTxs: z.number().int().min(1).default(packerDefaults.packAtTxs),
    maxChunkTxs: z.number().int().min(1).default(packerDefaults.maxChunkTxs),
    maxChunkBytes: z.number().int().min(1024).default(packerDefaults.maxChunkBytes),
    maxOwnPendingChunks: z.number().int().min(1).default(packerDefaults.maxOwnPendingChunks)
  }).strict().prefault({}),
  p2p: z.object({
    listen: z.array(z.string()).default(() => ['/ip4/127.0.0.1/tcp/0']), // loopback, any free port: a local devnet
    announce: z.array(z.string()).optional(),
    /** where to reach the other committee members: index -> multiaddrs */
    peers: z.array(z.object({ index: z.number().int().min(0), addrs: z.array(z.string()).min(1) }).strict()).default(() => []),
    chunkTransport: z.enum(['direct', 'gossipsub']).default('direct'), // one hop to each member, no gossip overhead (docs/ARCHITECTURE.md)
    maxMessageBytes: z.number().int().min(1024).default(32 * 1024 * 1024), // room for a full batch response
    /** the fastest rounds the committee may run; the per-peer inbound frame limits derive from it (p2p/peer-guard.ts frameLimitsFor) */
    maxRoundsPerSecond: z.number().int().min(1).max(100_000).optional()
  }).strict().prefault({}),
  /** built-in rollups this node executes in-process (every node of a devnet runs the same) */
  rollups: z.array(z.object({
    kind: z.enum(['token', 'kv']),
    rollupId: z.number().int().min(0),
    /** token: [{account: hex, balance}] */
    genesis: z.unknown().optional()
  }).strict()).default(() => []),
  rollupsDir: z.string().default('rollups'), // inside the node folder, next to its data
  /** the public network (docs/ARCHITECTURE.md, followers); a member without it serves no followers */
  public: PublicNetworkConfigSchema.optional(),
  /** storage; `faults` makes writes fail or wait on purpose (tests and dev runs only: src/store/fault-injection.ts) */
  store: z.object({
    faults: z.object({
      failPaths: z.array(z.enum(STORE_WRITE_PATHS)).default(() => [...faultDefaults.failPaths]),
      code: z.enum(INJECTABLE_FAULT_CODES).default(faultDefaults.code),
      failAfter: z.number().int().min(0).default(faultDefaults.failAfter),
      failCount: z.number().int().min(1).nullable().default(faultDefaults.failCount),
      delayMs: z.number().int().min(0).max(600_000).default(faultDefaults.delayMs),
      delayPaths: z.array(z.enum(STORE_WRITE_PATHS)).default(() => [...faultDefaults.delayPaths])
    }).strict().optional()
  }).strict().prefault({}),
  /** dev control routes (/v1/dev/isolate, /v1/dev/heal) */
  dev: z.object({ control: z.boolean().default(false) }).strict().prefault({}), // off unless the devnet turns them on
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info') // start, stop and problems
}).strict()

/** What a config file may hold (defaults may be left out). */
export type NodeConfigFile = z.input<typeof NodeConfigSchema>
type ParsedConfigFile = z.infer<typeof NodeConfigSchema>

/** A parsed config: the file's options, complete, with paths resolved and consensus options in the driver's shape. */
export type NodeConfig = Omit<ParsedConfigFile, 'consensus'> & { consensus: ConsensusDriverOptions }

/** Validates a parsed config; `baseDir` resolves relative paths. */
export function parseNodeConfig (json: unknown, baseDir: string): NodeConfig {
  const result = NodeConfigSchema.safeParse(json)
  if (!result.success) {
    const problems = result.error.issues.map((i) => `  ${i.path.join('.') || '(root)'}: ${i.message}`).join('\n')
    throw new ConfigError(`invalid node config:\n${problems}`)
  }
  const c = result.data
  if (c.role === 'follower' && c.public === undefined) throw new ConfigError('invalid node config:\n  public: a follower needs the public network (listen, bootstrap)')
  return {
    ...c,
    genesisFile: resolve(baseDir, c.genesisFile),
    keyFile: resolve(baseDir, c.keyFile),
    dataDir: resolve(baseDir, c.dataDir),
    consensus: consensusOptions(c.consensus),
    rollupsDir: resolve(baseDir, c.rollupsDir)
  }
}

/** The config's flat consensus options in the driver's shape (packer options nested). */
function consensusOptions (c: ParsedConfigFile['consensus']): ConsensusDriverOptions {
  const { chunkDelayMs, maxChunkDelayMs, packAtTxs, maxChunkTxs, maxChunkBytes, maxOwnPendingChunks, ...driver } = c
  return {
    ...defaultConsensusDriverOptions,
    ...driver,
    packer: { ...defaultConsensusDriverOptions.packer, chunkDelayMs, maxChunkDelayMs, packAtTxs, maxChunkTxs, maxChunkBytes, maxOwnPendingChunks }
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
