/**
 * A short run of the API fuzzer (the long one is `npm run fuzz -- --api-inputs N`): fuzzed
 * submit bodies, content types, paths and query parameters through fastify inject; every
 * reply is 2xx or a typed 4xx. The seed changes per run unless FUZZ_SEED is set.
 */
import t from 'tap'
import { ApiFuzzer, ApiFuzzFailure } from './api-fuzz.js'

const REQUESTS = 15_000
const seed = process.env.FUZZ_SEED !== undefined ? Number(process.env.FUZZ_SEED) : (Date.now() % 0x7fff_ffff)

t.test(`the API answers ${REQUESTS} fuzzed requests with 2xx or typed 4xx (seed ${seed})`, async (t) => {
  const fuzzer = new ApiFuzzer(seed)
  t.teardown(() => fuzzer.close())
  const started = Date.now()
  try {
    for (let i = 0; i < REQUESTS; i++) await fuzzer.step()
  } catch (err) {
    if (!(err instanceof ApiFuzzFailure)) throw err
    t.fail(`seed ${seed}: ${err.message}`)
    return
  }
  t.comment(`${REQUESTS} requests in ${Date.now() - started} ms: ${JSON.stringify(fuzzer.stats.outcomes)}`)
  // the generator must reach both the happy paths and every kind of refusal
  t.match(fuzzer.stats.outcomes, {
    200: Number,
    202: Number,
    '400 TX_MALFORMED': Number,
    '400 BAD_REQUEST': Number,
    '404 NOT_FOUND': Number,
    '413 TX_TOO_LARGE': Number,
    '415 UNSUPPORTED_MEDIA_TYPE': Number
  }, 'accepted, malformed, bad parameter, not found, too large and unsupported type all reached')
})

t.test('the fuzzer fails on a 5xx or an untyped error', async (t) => {
  const fuzzer = new ApiFuzzer(1)
  t.teardown(() => fuzzer.close())
  // a backend bug is a 500 INTERNAL: the fuzzer must report it, not count it
  fuzzer.backend.submitTx = async () => { throw new Error('backend bug') }
  let failure: unknown
  for (let i = 0; i < 500 && failure === undefined; i++) {
    try { await fuzzer.step() } catch (err) { failure = err }
  }
  t.type(failure, ApiFuzzFailure, 'a 500 from the server stops the fuzzer')
  t.match((failure as Error).message, /HTTP 500/)
})
