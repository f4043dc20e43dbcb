/**
 * Long fuzz of every decoder: `npm run fuzz -- --inputs 1000000 --seed 42`.
 * Same rules and mutations as test/codec/fuzz.test.ts (see harness.ts, mutate.ts, and
 * targets.ts for the p2p frame decoder, consensus messages and the slice verifier). Prints
 * progress every 100k inputs and the counts per target; on the first broken rule (an
 * untyped error, or an accepted input that does not re-encode to itself) prints the target,
 * the input as hex and the seed, and exits 1. `--schema Tx` fuzzes one target only.
 * Then `--api-inputs` (default 100000) fuzzed requests go to the API's routes through
 * fastify inject (api-fuzz.ts): every reply must be 2xx or a typed 4xx, never a 5xx.
 */
import { parseArgs } from 'node:util'
import { Fuzzer, FuzzFailure, toHex } from './harness.js'
import { ApiFuzzer, ApiFuzzFailure } from './api-fuzz.js'
import { ALL_TARGETS } from './targets.js'

const PROGRESS_EVERY = 100_000

function fail (message: string): never {
  process.stderr.write(`run-fuzz: ${message}\n`)
  process.exit(2)
}

const { values } = parseArgs({
  options: {
    inputs: { type: 'string', default: '1000000' },
    seed: { type: 'string' },
    schema: { type: 'string' },
    corpus: { type: 'string', default: '200' },
    'api-inputs': { type: 'string', default: '100000' }
  },
  strict: true
})

const inputs = Number(values.inputs)
if (!Number.isSafeInteger(inputs) || inputs < 1) fail(`--inputs must be a positive integer, got ${values.inputs}`)
const seed = values.seed !== undefined ? Number(values.seed) : Math.floor(Math.random() * 0x7fff_ffff)
if (!Number.isSafeInteger(seed) || seed < 0 || seed > 0x7fff_ffff) fail(`--seed must be an integer in 0..2^31-1, got ${values.seed}`)
const corpusPerType = Number(values.corpus)
if (!Number.isSafeInteger(corpusPerType) || corpusPerType < 1) fail(`--corpus must be a positive integer, got ${values.corpus}`)
const apiInputs = Number(values['api-inputs'])
if (!Number.isSafeInteger(apiInputs) || apiInputs < 0) fail(`--api-inputs must be a non-negative integer, got ${values['api-inputs']}`)
const targets = values.schema === undefined ? ALL_TARGETS : ALL_TARGETS.filter((w) => w.name === values.schema)
if (targets.length === 0) fail(`unknown --schema ${values.schema}; one of ${ALL_TARGETS.map((w) => w.name).join(', ')}`)

console.log(`fuzzing ${targets.map((w) => w.name).join(', ')}: ${inputs} inputs, seed ${seed}, corpus ${corpusPerType} per type`)
const fuzzer = new Fuzzer(seed, { corpusPerType, targets })
const started = Date.now()

for (let i = 0; i < inputs; i++) {
  try {
    fuzzer.step()
  } catch (err) {
    if (err instanceof FuzzFailure) {
      console.error(`\nFAIL at input ${i + 1} of ${inputs} (seed ${seed})`)
      console.error(`schema: ${err.schemaName}`)
      console.error(`reason: ${err.reason}`)
      console.error(`input hex: ${toHex(err.input)}`)
      if (err.error !== undefined) console.error(err.error instanceof Error ? err.error.stack : String(err.error))
      console.error(`reproduce: npm run fuzz -- --inputs ${i + 1} --seed ${seed} --corpus ${corpusPerType}${values.schema !== undefined ? ` --schema ${values.schema}` : ''}`)
    } else {
      console.error(`\nfuzzer crashed at input ${i + 1} (seed ${seed}):`, err)
    }
    process.exit(1)
  }
  if ((i + 1) % PROGRESS_EVERY === 0) {
    const seconds = (Date.now() - started) / 1000
    console.log(`${i + 1} / ${inputs} inputs, ${seconds.toFixed(1)} s, ${Math.round((i + 1) / seconds)} inputs/s`)
  }
}

const seconds = (Date.now() - started) / 1000
console.log(`\ndone: ${inputs} inputs in ${seconds.toFixed(1)} s, seed ${seed}, no failures`)
const nameWidth = Math.max(16, ...targets.map((w) => w.name.length + 2))
console.log(`${'schema'.padEnd(nameWidth)}${'inputs'.padStart(10)}${'accepted'.padStart(10)}  rejected by code`)
for (const [name, stats] of fuzzer.stats) {
  const rejected = Object.entries(stats.rejected).sort(([a], [b]) => a.localeCompare(b)).map(([code, n]) => `${code}=${n}`).join(' ')
  console.log(`${name.padEnd(nameWidth)}${String(stats.inputs).padStart(10)}${String(stats.accepted).padStart(10)}  ${rejected}`)
}

if (apiInputs > 0) {
  console.log(`\nfuzzing the API through fastify inject: ${apiInputs} requests, seed ${seed}`)
  const api = new ApiFuzzer(seed)
  const apiStarted = Date.now()
  for (let i = 0; i < apiInputs; i++) {
    try {
      await api.step()
    } catch (err) {
      console.error(`\nFAIL at API request ${i + 1} of ${apiInputs} (seed ${seed})`)
      console.error(err instanceof ApiFuzzFailure ? err.message : err)
      console.error(`reproduce: npm run fuzz -- --inputs 1 --api-inputs ${i + 1} --seed ${seed}`)
      process.exit(1)
    }
    if ((i + 1) % PROGRESS_EVERY === 0) console.log(`${i + 1} / ${apiInputs} requests, ${((Date.now() - apiStarted) / 1000).toFixed(1)} s`)
  }
  await api.close()
  console.log(`done: ${apiInputs} API requests in ${((Date.now() - apiStarted) / 1000).toFixed(1)} s, no 5xx, every error typed`)
  for (const [outcome, n] of Object.entries(api.stats.outcomes).sort(([a], [b]) => a.localeCompare(b))) console.log(`  ${outcome.padEnd(32)}${String(n).padStart(10)}`)
}
