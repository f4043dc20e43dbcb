/**
 * The plumbing of `npm run rollup` (devnet/rollup.ts): flags, reading the genesis files,
 * printing, signals. Nothing here touches slices or state; that part is devnet/rollup.ts.
 */
import { readFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { ClientError, type VerifiedSlice } from '../../src/client/index.js'
import { bytesToHex } from '../../src/crypto/hex.js'
import { parseTokenGenesis, RollupError, type Commitment, type TokenAllocation } from '../../src/rollup-adapters/index.js'

export const USAGE = `usage: npm run rollup -- --node URL --genesis FILE --token-genesis FILE --data DIR [options]
       npm run rollup -- --node URL --home DIR --data DIR [options]

Runs the token rollup outside the node: follows its slices over the node's public API
(each one verified against the genesis committee by the SDK), executes every height and
prints one line per height: "height H  txs N  stateRoot <hex>". Kill it at any moment and
start it again on the same --data: it resumes after the last height it executed.

  --node URL            the node's API (default http://127.0.0.1:7300)
  --genesis FILE        the chain's genesis.json: the trust root (chain id, committee keys)
  --token-genesis FILE  the token allocations: a node config.json (its "rollups" entry for
                        this rollup) or a JSON list [{"account": hex, "balance": n}]
  --home DIR            shorthand for --genesis DIR/genesis.json
                        --token-genesis DIR/node-0/config.json (e.g. --home .devnet)
  --rollup NAME|ID      the rollup of genesis.json to follow (default token)
  --data DIR            this rollup's own state (a level folder, created if missing)
  --until H             exit 0 once height H is executed
  --json                one JSON object per line: {"event":"open",...}, {"event":"height",...}
  --help                this text

Exit codes: 0 done (--until reached, SIGINT/SIGTERM), 1 failure (e.g. a slice that does
not verify: it is never executed), 2 bad usage.`

export interface RollupArgs {
  node: string
  /** genesis.json as text, for committeeFromGenesis */
  genesisText: string
  rollupId: number
  rollupName: string
  tokenGenesis: TokenAllocation[]
  data: string
  until: number | undefined
  json: boolean
}

class UsageError extends Error {}

/**
 * Parses and loads everything; prints the usage and exits on --help (0) or bad input (2).
 * From here on, an error nobody catches (e.g. open() refusing a folder made for another
 * chain) is printed as one line and exits 1, without a stack trace.
 */
export async function parseRollupArgs (argv: string[]): Promise<RollupArgs> {
  process.once('uncaughtException', (err) => {
    const code = (err as { code?: unknown }).code
    process.stderr.write(`rollup: ${typeof code === 'string' ? `${code} ` : ''}${err.message}\n`)
    process.exit(1)
  })
  try {
    return await parse(argv)
  } catch (err) {
    if (!(err instanceof UsageError || err instanceof RollupError || err instanceof ClientError || err instanceof TypeError)) throw err
    process.stderr.write(`rollup: ${err.message}\n(see npm run rollup -- --help)\n`)
    process.exit(2)
  }
}

async function parse (argv: string[]): Promise<RollupArgs> {
  let values
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      options: {
        node: { type: 'string', default: 'http://127.0.0.1:7300' },
        genesis: { type: 'string' },
        'token-genesis': { type: 'string' },
        home: { type: 'string' },
        rollup: { type: 'string', default: 'token' },
        data: { type: 'string' },
        until: { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false }
      }
    }))
  } catch (err) {
    throw new UsageError((err as Error).message)
  }
  if (values.help) {
    process.stdout.write(USAGE + '\n')
    process.exit(0)
  }
  if (!/^https?:\/\/[^/]+\/?$/.test(values.node)) throw new UsageError(`--node must be the API's base URL, like http://127.0.0.1:7300 (got ${values.node})`)
  const genesisFile = values.genesis ?? (values.home === undefined ? undefined : join(values.home, 'genesis.json'))
  const tokenGenesisFile = values['token-genesis'] ?? (values.home === undefined ? undefined : join(values.home, 'node-0', 'config.json'))
  if (genesisFile === undefined) throw new UsageError('--genesis (or --home) is required: the chain genesis.json is the trust root')
  if (tokenGenesisFile === undefined) throw new UsageError('--token-genesis (or --home) is required: the token allocations')
  if (values.data === undefined) throw new UsageError('--data is required: the folder of this rollup\'s state')
  const until = values.until === undefined ? undefined : Number(values.until)
  if (until !== undefined && (!Number.isSafeInteger(until) || until < 0 || !/^\d+$/.test(values.until!))) throw new UsageError('--until must be a height (a non-negative integer)')

  const genesisText = await readText(genesisFile)
  const { rollupId, rollupName } = findRollup(genesisText, values.rollup, genesisFile)
  return {
    node: values.node.replace(/\/$/, ''),
    genesisText,
    rollupId,
    rollupName,
    tokenGenesis: tokenAllocations(await readText(tokenGenesisFile), rollupId, tokenGenesisFile),
    data: resolve(values.data),
    until,
    json: values.json
  }
}

async function readText (file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8')
  } catch (err) {
    throw new UsageError(`cannot read ${file}: ${(err as Error).message}`)
  }
}

function parseJson (text: string, file: string): unknown {
  try {
    return JSON.parse(text)
  } catch (err) {
    throw new UsageError(`${file} is not JSON: ${(err as Error).message}`)
  }
}

/** `--rollup` by name or id, among genesis.json's rollups. */
function findRollup (genesisText: string, wanted: string, file: string): { rollupId: number, rollupName: string } {
  const { rollups } = (parseJson(genesisText, file) ?? {}) as { rollups?: unknown }
  const list = Array.isArray(rollups) ? rollups as Array<{ id?: unknown, name?: unknown }> : []
  const found = list.find((r) => /^\d+$/.test(wanted) ? r.id === Number(wanted) : r.name === wanted)
  if (found === undefined || typeof found.id !== 'number') {
    throw new UsageError(`${file} has no rollup ${JSON.stringify(wanted)} (it has: ${list.map((r) => `${String(r.name)} = ${String(r.id)}`).join(', ') || 'none'})`)
  }
  return { rollupId: found.id, rollupName: typeof found.name === 'string' ? found.name : String(found.id) }
}

/** A plain allocation list, or a node config.json whose `rollups` entry for `rollupId` is a token rollup. */
function tokenAllocations (text: string, rollupId: number, file: string): TokenAllocation[] {
  const json = parseJson(text, file)
  if (Array.isArray(json)) return parseTokenGenesis(json)
  const entries = (json as { rollups?: unknown } | null)?.rollups
  const entry = Array.isArray(entries) ? (entries as Array<{ kind?: unknown, rollupId?: unknown, genesis?: unknown }>).find((r) => r.rollupId === rollupId) : undefined
  if (entry === undefined) throw new UsageError(`${file} is neither an allocation list nor a node config with a "rollups" entry for rollup ${rollupId}`)
  if (entry.kind !== 'token') throw new UsageError(`rollup ${rollupId} is a ${String(entry.kind)} rollup in ${file}; this process runs the token rules`)
  return parseTokenGenesis(entry.genesis ?? [])
}

/** Aborted on the first SIGINT or SIGTERM: the follower then finishes the height it is executing and exits 0. */
export function stopOnSignals (): AbortSignal {
  const stop = new AbortController()
  const abort = (): void => stop.abort()
  process.once('SIGINT', abort)
  process.once('SIGTERM', abort)
  return stop.signal
}

export interface Reporter {
  /** the durable commitment the rollup resumes from */
  opened: (commitment: Commitment) => void
  /** one executed height */
  executed: (slice: VerifiedSlice, commitment: Commitment) => void
  /** problems the stream recovers from (a dropped connection: it reconnects) */
  streamProblem: (err: Error) => void
  /** the error that stops the process; `height` is the one that was not executed */
  failed: (err: unknown, height: number) => void
}

export function reporter (args: RollupArgs): Reporter {
  const line = (event: Record<string, unknown>): void => { process.stdout.write(JSON.stringify(event) + '\n') }
  const note = (text: string): void => { process.stderr.write(`rollup: ${text}\n`) }
  return {
    opened: (c) => {
      note(`${args.rollupName} (rollup ${args.rollupId}) in ${args.data}: executed up to height ${c.height}, stateRoot ${bytesToHex(c.stateRoot)}`)
      if (args.until !== undefined && c.height >= args.until) note(`height ${args.until} is executed already`)
      else note(`following ${args.node} from height ${c.height + 1}`)
      if (args.json) line({ event: 'open', rollupId: args.rollupId, height: c.height, stateRoot: bytesToHex(c.stateRoot) })
    },
    executed: (slice, c) => {
      if (args.json) line({ event: 'height', height: c.height, txs: slice.txs.length, stateRoot: bytesToHex(c.stateRoot), batchHash: slice.batchHash })
      else process.stdout.write(`height ${c.height}  txs ${slice.txs.length}  stateRoot ${bytesToHex(c.stateRoot)}\n`)
    },
    streamProblem: (err) => note(`${(err as { code?: string }).code ?? err.name}: ${err.message}`),
    failed: (err, height) => {
      const code = (err as { code?: unknown }).code
      const message = err instanceof Error ? err.message : String(err)
      note(`stopped before height ${height}: ${typeof code === 'string' ? `${code} ` : ''}${message}`)
      if (args.json) line({ event: 'failed', height, code: typeof code === 'string' ? code : null, message })
    }
  }
}
