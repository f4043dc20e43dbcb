/**
 * Helpers for the external rollup process tests: run `devnet/rollup.ts --json` as a child
 * process and parse its lines, and a load of token transfers (signed by the faucet, nonces
 * 0, 1, 2, ...), kv writes and bundles sent through the SDK.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import {
  createTxBuilder, generateSigningKey, SequencerApiError, signerFromSeed,
  type BuiltTx, type SequencerClient, type Signer, type TxBuilder
} from '../../src/client/index.js'
import { loadKeyFile } from '../../src/crypto/key-file.js'
import { encodeKvSet, signTransfer } from '../../src/rollup-adapters/index.js'
import { getJson, repoRoot, type Exit, type NodeHome } from '../helpers/node-process.js'

interface Teardown {
  teardown: (fn: () => unknown) => void
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

export async function until (condition: () => boolean | Promise<boolean>, what: () => string, timeoutMs = 20_000): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; !(await condition()); await sleep(20)) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what()}`)
  }
}

export interface OpenEvent { event: 'open', rollupId: number, height: number, stateRoot: string }
export interface HeightEvent { event: 'height', height: number, txs: number, stateRoot: string, batchHash: string }
export interface FailedEvent { event: 'failed', height: number, code: string | null, message: string }
export type RollupEvent = OpenEvent | HeightEvent | FailedEvent

export interface RollupRun {
  child: ChildProcess
  /** every JSON line printed so far */
  events: RollupEvent[]
  opened: () => OpenEvent | undefined
  heights: () => HeightEvent[]
  lastHeight: () => number
  stderr: () => string
  exited: Promise<Exit>
  /** SIGKILL (the default) or SIGTERM; resolves on exit */
  kill: (signal?: NodeJS.Signals) => Promise<Exit>
}

export interface RollupRunOptions {
  node: string
  home: NodeHome
  data: string
  until?: number
  /** a genesis file other than the home's (e.g. one with a committee we do not trust) */
  genesisFile?: string
  /** start through `npm run rollup` (checks the package.json script); not for kill -9 tests, which must hit the node process itself */
  viaNpm?: boolean
}

/** Starts the rollup process with --json; killed at teardown. */
export function startRollup (t: Teardown, opts: RollupRunOptions): RollupRun {
  const args = [
    '--node', opts.node,
    '--genesis', opts.genesisFile ?? opts.home.genesisFile,
    '--token-genesis', opts.home.configFile,
    '--data', opts.data,
    '--json',
    ...(opts.until === undefined ? [] : ['--until', String(opts.until)])
  ]
  const child = opts.viaNpm === true
    ? spawn('npm', ['run', '--silent', 'rollup', '--', ...args], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] })
    : spawn(process.execPath, ['--import', './src/polyfills/register.js', '--import', 'tsx', 'devnet/rollup.ts', ...args], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] })
  const events: RollupEvent[] = []
  let partial = ''
  child.stdout!.setEncoding('utf8')
  child.stdout!.on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\n')
    partial = lines.pop()!
    for (const line of lines) if (line.trim() !== '') events.push(JSON.parse(line) as RollupEvent)
  })
  let stderr = ''
  child.stderr!.setEncoding('utf8')
  child.stderr!.on('data', (chunk: string) => { stderr = (stderr + chunk).slice(-64 * 1024) })
  // 'close': the output pipes are drained too, so every printed line is in `events`
  const exited = new Promise<Exit>((resolve) => child.once('close', (code, signal) => resolve({ code, signal })))
  const kill = async (signal: NodeJS.Signals = 'SIGKILL'): Promise<Exit> => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal)
    return await exited
  }
  t.teardown(() => kill('SIGKILL'))
  const heights = (): HeightEvent[] => events.filter((e): e is HeightEvent => e.event === 'height')
  return {
    child,
    events,
    opened: () => events.find((e): e is OpenEvent => e.event === 'open'),
    heights,
    lastHeight: () => heights().at(-1)?.height ?? events.find((e): e is OpenEvent => e.event === 'open')?.height ?? -1,
    stderr: () => stderr,
    exited,
    kill
  }
}

/** `GET /v1/rollups/:id/state` of the node's own in-process rollup. */
export async function nodeRollupState (url: string, rollupId = 1): Promise<{ height: number, stateRoot: string }> {
  return await getJson<{ height: number, stateRoot: string }>(url, `/v1/rollups/${rollupId}/state`)
}

/** The faucet of a home (the one token genesis account) as an SDK signer. */
export async function faucetOf (home: NodeHome): Promise<Signer> {
  return signerFromSeed((await loadKeyFile(join(home.dir, 'faucet.json'))).seed)
}

export type LoadKind = 'transfer' | 'kv' | 'bundle'

/**
 * Sends txs one at a time (so the faucet's transfers are ordered by nonce) and retries a
 * tx until the node takes it: a node that is down (NETWORK_ERROR) or restarting is waited
 * for; TX_DUPLICATE means a previous attempt got in. Rollup 1 is token, rollup 2 kv.
 */
export class Load {
  readonly acked: BuiltTx[] = []
  #nonce = 0
  #running = false
  #loop: Promise<void> | null = null
  readonly #builder: TxBuilder

  constructor (private readonly client: SequencerClient, private readonly chainId: string, private readonly faucet: Signer) {
    this.#builder = createTxBuilder({ chainId, signer: generateSigningKey() })
  }

  /** Sends one tx of the kind; resolves once the node has acknowledged it. */
  async send (kind: LoadKind): Promise<BuiltTx> {
    const transfer = (): Uint8Array => signTransfer(this.chainId, this.faucet, { to: randomBytes(32), amount: 1 + this.#nonce, nonce: this.#nonce })
    const kv = (): Uint8Array => encodeKvSet(randomBytes(8), randomBytes(16))
    const tx = kind === 'transfer'
      ? this.#builder.single(1, transfer())
      : kind === 'kv'
        ? this.#builder.single(2, kv())
        : this.#builder.bundle([{ rollupId: 1, payload: transfer() }, { rollupId: 2, payload: kv() }])
    for (const deadline = Date.now() + 20_000; ; await sleep(50)) {
      try {
        await this.client.submit(tx)
        break
      } catch (err) {
        if (err instanceof SequencerApiError && err.code === 'TX_DUPLICATE') break
        const transient = err instanceof SequencerApiError && (err.status === 0 || err.status >= 500 || err.retryable)
        if (!transient || Date.now() > deadline) throw err
      }
    }
    this.acked.push(tx)
    if (kind !== 'kv') this.#nonce++
    return tx
  }

  /** A tx every `pauseMs`: transfer, kv, bundle, kv, ... */
  start (pauseMs: number): void {
    const kinds: LoadKind[] = ['transfer', 'kv', 'bundle', 'kv']
    this.#running = true
    this.#loop = (async () => {
      for (let i = 0; this.#running; i++) {
        await this.send(kinds[i % kinds.length]!)
        await sleep(pauseMs)
      }
    })()
  }

  /** Stops sending, waits until every acknowledged tx is final; returns the highest final height. */
  async stop (): Promise<number> {
    this.#running = false
    await this.#loop
    const finals = await Promise.all(this.acked.map((tx) => this.client.waitFinal(tx.hash, { timeoutMs: 20_000 })))
    return Math.max(-1, ...finals.map((f) => f.height))
  }

  /** token transfers acknowledged (single ones and the token halves of bundles): the faucet's next nonce */
  get transfers (): number {
    return this.#nonce
  }
}

/** Heights h0, h0 + 1, ..., each once and in order. */
export function isContiguous (heights: number[], from: number): boolean {
  return heights.every((h, i) => h === from + i)
}
