/**
 * End-to-end helpers: run `seqnode` (bin/seqnode.js) as a child process, either a node
 * that keeps running (startNodeProcess, killed with the test) or a command that runs to
 * completion (runCli), plus a small HTTP client for the node API.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { createWriteStream } from 'node:fs'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { createServer, type AddressInfo, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { decode, type Schema } from '../../src/codec/index.js'
import { initHome, type InitOptions } from '../../src/node/init-home.js'
import { parseGenesis, type Genesis } from '../../src/node/genesis.js'
import { assertBuilt } from '../../devnet/node-process.js'

export { assertBuilt }

/** The repository root, found from this file so tests do not depend on the cwd. */
export const repoRoot = fileURLToPath(new URL('../../', import.meta.url))
const seqnodeBin = 'bin/seqnode.js'

const LISTENING = /seqnode: API listening on (http:\/\/127\.0\.0\.1:\d+)/
/** Output kept per stream: enough for any error message, bounded under chatty logs. */
const MAX_CAPTURE = 64 * 1024

export interface Teardown {
  teardown: (fn: () => unknown) => void
}

/** A fresh folder under the OS temp dir, removed at teardown. */
export async function tempDir (t: Teardown, prefix = 'seqnode-e2e-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix))
  t.teardown(() => rm(dir, { recursive: true, force: true, maxRetries: 5 }))
  return dir
}

export interface NodeHome {
  dir: string
  genesisFile: string
  /** node-0's config file */
  configFile: string
  genesis: Genesis
}

/**
 * A one-member home as `seqnode init` makes it (in-process, to save a process start),
 * with optional overrides of node-0's config file.
 */
export async function makeNodeHome (
  t: Teardown,
  opts: Partial<Omit<InitOptions, 'dir'>> & { config?: Record<string, unknown> } = {}
): Promise<NodeHome> {
  const dir = join(await tempDir(t), 'home')
  const result = await initHome({ dir, chainId: opts.chainId ?? 'e2e-1', nodes: 1, rollups: opts.rollups ?? ['token', 'kv'], basePort: 0, ...(opts.limits !== undefined ? { limits: opts.limits } : {}) })
  const configFile = result.nodes[0]!.configFile
  if (opts.config !== undefined) await patchJsonFile(configFile, opts.config)
  const genesis = parseGenesis(JSON.parse(await readFile(result.genesisFile, 'utf8')))
  return { dir, genesisFile: result.genesisFile, configFile, genesis }
}

/** Shallow-merges `patch` into a JSON file. */
export async function patchJsonFile (file: string, patch: Record<string, unknown>): Promise<void> {
  const json = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>
  await writeFile(file, JSON.stringify({ ...json, ...patch }, null, 2) + '\n')
}

export interface Exit {
  code: number | null
  signal: NodeJS.Signals | null
}

export interface NodeProcess {
  /** API base URL, e.g. http://127.0.0.1:41234 */
  url: string
  child: ChildProcess
  /** stderr captured so far (bounded) */
  stderr: () => string
  /** Sends the signal and resolves on exit; anything but SIGKILL is followed by SIGKILL after `graceMs`. */
  kill: (signal?: NodeJS.Signals, graceMs?: number) => Promise<Exit>
  exited: Promise<Exit>
}

function capture (stream: NodeJS.ReadableStream | null): () => string {
  let text = ''
  stream?.setEncoding('utf8')
  stream?.on('data', (chunk: string) => {
    text += chunk
    if (text.length > MAX_CAPTURE) text = text.slice(-MAX_CAPTURE)
  })
  return () => text
}

function exitOf (child: ChildProcess): Promise<Exit> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      resolve({ code: child.exitCode, signal: child.signalCode })
      return
    }
    child.once('exit', (code, signal) => resolve({ code, signal }))
  })
}

function isRunning (child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null
}

async function killChild (child: ChildProcess, exited: Promise<Exit>, signal: NodeJS.Signals, graceMs: number): Promise<Exit> {
  if (!isRunning(child)) return await exited
  child.kill(signal)
  if (signal === 'SIGKILL') return await exited
  let timer: NodeJS.Timeout | undefined
  const fallback = new Promise<void>((resolve) => { timer = setTimeout(resolve, graceMs) })
  await Promise.race([exited, fallback])
  clearTimeout(timer)
  if (isRunning(child)) child.kill('SIGKILL')
  return await exited
}

/**
 * Starts `seqnode start --config <file> --api-port 0` and resolves once it prints its
 * listening line. The child is SIGKILLed at teardown if it is still running.
 */
export async function startNodeProcess (
  t: Teardown,
  configFile: string,
  opts: { timeoutMs?: number, logLevel?: string, /** append the child's stdout (pino logs) to this file */ logFile?: string } = {}
): Promise<NodeProcess> {
  const timeoutMs = opts.timeoutMs ?? 20_000
  assertBuilt()
  const child = spawn(process.execPath, [seqnodeBin, 'start', '--config', configFile, '--api-port', '0', '--log-level', opts.logLevel ?? 'warn'], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe']
  })
  const exited = exitOf(child)
  const kill = (signal: NodeJS.Signals = 'SIGTERM', graceMs = 5000): Promise<Exit> => killChild(child, exited, signal, graceMs)
  t.teardown(() => kill('SIGKILL'))
  if (opts.logFile !== undefined) child.stdout!.pipe(createWriteStream(opts.logFile, { flags: 'a' }))
  else capture(child.stdout) // pino logs: drained so the child never blocks on a full pipe
  const stderr = capture(child.stderr)

  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup()
      void kill('SIGKILL')
      reject(new Error(`seqnode did not print its listening line within ${timeoutMs} ms; stderr:\n${stderr()}`))
    }, timeoutMs)
    const onData = (): void => {
      const match = LISTENING.exec(stderr())
      if (match !== null) { cleanup(); resolve(match[1]!) }
    }
    const onExit = (code: number | null, signal: NodeJS.Signals | null): void => {
      cleanup()
      reject(new Error(`seqnode exited (code ${code}, signal ${signal}) before listening; stderr:\n${stderr()}`))
    }
    const cleanup = (): void => {
      clearTimeout(timer)
      child.stderr!.off('data', onData)
      child.off('exit', onExit)
    }
    child.stderr!.on('data', onData)
    child.once('exit', onExit)
    onData()
  })
  return { url, child, stderr, kill, exited }
}

/**
 * `count` distinct TCP ports that were free on 127.0.0.1 a moment ago: all are bound to
 * port 0 at once (so the kernel hands out different ones), read, then closed.
 */
export async function freePorts (count: number): Promise<number[]> {
  const servers = await Promise.all(Array.from({ length: count }, async () => await new Promise<Server>((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve(server))
  })))
  const ports = servers.map((s) => (s.address() as AddressInfo).port)
  await Promise.all(servers.map(async (s) => await new Promise((resolve) => s.close(resolve))))
  return ports
}

export interface CliResult extends Exit {
  stdout: string
  stderr: string
}

/** Runs `seqnode <args>` to completion (SIGKILLed after `timeoutMs`). */
export async function runCli (args: string[], opts: { timeoutMs?: number } = {}): Promise<CliResult> {
  assertBuilt()
  const child = spawn(process.execPath, [seqnodeBin, ...args], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] })
  const stdout = capture(child.stdout)
  const stderr = capture(child.stderr)
  const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 20_000)
  // 'close', not 'exit': it comes once the output pipes are drained too.
  const exit = await new Promise<Exit>((resolve) => child.once('close', (code, signal) => resolve({ code, signal })))
  clearTimeout(timer)
  return { ...exit, stdout: stdout(), stderr: stderr() }
}

// ---------------------------------------------------------------- HTTP client

export const MSGPACK = 'application/msgpack'

/** POSTs an encoded tx as application/octet-stream; returns the HTTP status and JSON body. */
export async function submitTxBytes (url: string, bytes: Uint8Array): Promise<{ status: number, body: { hash?: string, status?: string, error?: { code: string, message: string } } }> {
  const res = await fetch(`${url}/v1/txs`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: bytes })
  return { status: res.status, body: await res.json() as { hash?: string } }
}

/** GETs JSON; throws with the reply on any status but 200. */
export async function getJson<T> (url: string, path: string): Promise<T> {
  const res = await fetch(`${url}${path}`)
  if (res.status !== 200) throw new Error(`GET ${path}: HTTP ${res.status} ${await res.text()}`)
  return await res.json() as T
}

/** GETs the Prometheus text of `/metrics`. */
export async function getMetricsText (url: string): Promise<string> {
  const res = await fetch(`${url}/metrics`)
  if (res.status !== 200) throw new Error(`GET /metrics: HTTP ${res.status} ${await res.text()}`)
  return await res.text()
}

/**
 * Sum of the samples of one metric in a Prometheus text exposition whose labels include
 * all of `labels`; null when the metric has no sample at all.
 */
export function metricValue (text: string, name: string, labels: Record<string, string> = {}): number | null {
  let sum: number | null = null
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line)
    if (match === null || match[1] !== name) continue
    const have = new Map([...(match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1]!, m[2]!]))
    if (Object.entries(labels).some(([k, v]) => have.get(k) !== v)) continue
    sum = (sum ?? 0) + Number(match[3])
  }
  return sum
}

/** GETs the msgpack form of a resource; throws on any status but 200. */
export async function getMsgpack (url: string, path: string): Promise<Uint8Array> {
  const res = await fetch(`${url}${path}`, { headers: { accept: MSGPACK } })
  if (res.status !== 200) throw new Error(`GET ${path} (msgpack): HTTP ${res.status} ${await res.text()}`)
  if (res.headers.get('content-type')?.startsWith(MSGPACK) !== true) throw new Error(`GET ${path}: content-type ${res.headers.get('content-type')}`)
  return new Uint8Array(await res.arrayBuffer())
}

export async function getDecoded<T> (url: string, path: string, schema: Schema<T>): Promise<{ bytes: Uint8Array, value: T }> {
  const bytes = await getMsgpack(url, path)
  return { bytes, value: decode(schema, bytes) }
}

export interface TxStatusReply {
  hash: string
  status: 'pending' | 'proposed' | 'committed' | 'rejected'
  height?: number
  index?: number
  code?: string
}

/** `GET /v1/txs/:hash`; null on 404 (unknown tx). */
export async function getTxStatus (url: string, hash: string): Promise<TxStatusReply | null> {
  const res = await fetch(`${url}/v1/txs/${hash}`)
  if (res.status === 404) { await res.body?.cancel(); return null }
  if (res.status !== 200) throw new Error(`GET /v1/txs/${hash}: HTTP ${res.status} ${await res.text()}`)
  return await res.json() as TxStatusReply
}

/** Runs `fn` over `items` with at most `concurrency` calls in flight. */
export async function mapConcurrent<T, R> (items: readonly T[], concurrency: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length)
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++
      out[i] = await fn(items[i]!)
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker))
  return out
}

/**
 * Polls until every hash is committed or the deadline passes; returns the committed
 * statuses by hash and the hashes still not committed.
 */
export async function waitCommitted (url: string, hashes: Iterable<string>, deadlineMs = 20_000): Promise<{ committed: Map<string, TxStatusReply>, missing: Map<string, TxStatusReply | null> }> {
  const committed = new Map<string, TxStatusReply>()
  let missing = new Map<string, TxStatusReply | null>([...hashes].map((h) => [h, null]))
  const deadline = Date.now() + deadlineMs
  while (missing.size > 0) {
    const still = new Map<string, TxStatusReply | null>()
    await mapConcurrent([...missing.keys()], 16, async (hash) => {
      const s = await getTxStatus(url, hash)
      if (s?.status === 'committed') committed.set(hash, s)
      else still.set(hash, s)
    })
    missing = still
    if (missing.size === 0 || Date.now() > deadline) break
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  return { committed, missing }
}
