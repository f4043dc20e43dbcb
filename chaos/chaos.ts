/**
 * `npm run chaos -- --duration S --seed N [--nodes 4] [--load TPS] [--faults K,..] [--out DIR]`: a fault
 * campaign against a real committee (campaign.ts). Writes DIR/chaos-result.json,
 * DIR/chaos-summary.txt and DIR/chaos.log (the fault log with time offsets); the
 * members' logs are in DIR/logs. Exit status 0 when every check passed, 1 on any
 * violation (the seed and the replay command are printed), 2 when the runner failed.
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { replayCommand, runCampaign } from './campaign.js'
import { renderSummary } from './report.js'
import { ALL_FAULT_KINDS, parseFaultKinds, type FaultKind } from './schedule.js'

const { values: args } = parseArgs({
  options: {
    duration: { type: 'string', default: '120' },
    seed: { type: 'string', default: '1' },
    nodes: { type: 'string', default: '4' },
    load: { type: 'string', default: '20' },
    out: { type: 'string' },
    faults: { type: 'string' },
    'complete-plan': { type: 'boolean', default: false },
    'base-timeout': { type: 'string' },
    'log-level': { type: 'string', default: 'warn' },
    'keep-data': { type: 'boolean', default: false },
    help: { type: 'boolean', default: false }
  }
})

if (args.help) {
  console.log(`usage: npm run chaos -- --duration S --seed N [--nodes 4] [--load TPS] [--out DIR]
  --duration S      seconds of faults under load (default 120); startup, drain and checks come on top
  --seed N          seeds the fault schedule (kinds, targets, durations, gaps); default 1
  --nodes N         committee size, at least 4 (default 4)
  --load TPS        txs per second through the API (default 20)
  --faults K,..     only these fault kinds (default all: ${ALL_FAULT_KINDS.join(', ')})
  --complete-plan   run every planned fault even if a slow machine overruns the duration
  --out DIR         results, logs and the members' data (default tmp/chaos/seed-N)
  --base-timeout MS members' first round timeout (default: the node's, 1000)
  --log-level L     members' log level (default warn)
  --keep-data       keep the members' data folders after a passing run`)
  process.exit(0)
}

function positiveInt (value: string | undefined, name: string, min = 1): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n < min) {
    console.error(`chaos: ${name} must be an integer >= ${min}`)
    process.exit(2)
  }
  return n
}

const durationS = positiveInt(args.duration, '--duration')
const seed = positiveInt(args.seed, '--seed', 0)
const nodes = positiveInt(args.nodes, '--nodes', 4)
const loadTps = positiveInt(args.load, '--load')
const baseTimeoutMs = args['base-timeout'] === undefined ? undefined : positiveInt(args['base-timeout'], '--base-timeout', 10)
let kinds: FaultKind[] | undefined
try {
  kinds = args.faults === undefined ? undefined : parseFaultKinds(args.faults)
} catch (err) {
  console.error(`chaos: --faults: ${(err as Error).message}`)
  process.exit(2)
}
const outDir = resolve(args.out ?? join('tmp', 'chaos', `seed-${seed}`))

async function main (): Promise<number> {
  await mkdir(outDir, { recursive: true })
  const result = await runCampaign({
    durationS, seed, nodes, loadTps, outDir, logLevel: args['log-level']!, keepData: args['keep-data']!,
    ...(baseTimeoutMs !== undefined ? { baseTimeoutMs } : {}),
    ...(kinds !== undefined ? { kinds } : {}),
    completePlan: args['complete-plan']!,
    onLine: (line) => console.log(line)
  })
  const summary = renderSummary(result)
  await writeFile(join(outDir, 'chaos-result.json'), JSON.stringify(result, null, 2) + '\n')
  await writeFile(join(outDir, 'chaos-summary.txt'), summary)
  await writeFile(join(outDir, 'chaos.log'), result.log.join('\n') + '\n')
  console.log(`\n${summary}results: ${outDir}/chaos-result.json`)
  return result.passed ? 0 : 1
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    // exiting SIGKILLs the members (devnet/children.ts's exit hook)
    console.error(`chaos: ${signal}: campaign abandoned (seed ${seed})`)
    process.exit(2)
  })
}

main().then((code) => process.exit(code), (err: Error) => {
  console.error(`chaos: the runner failed: ${err.stack ?? err.message}\n  seed ${seed}; replay with: ${replayCommand({ durationS, seed, nodes, loadTps, baseTimeoutMs, kinds, completePlan: args['complete-plan'] })}`)
  process.exit(2)
})
