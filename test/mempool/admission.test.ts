import t from 'tap'
import { encode, TxSchema } from '../../src/codec/index.js'
import { AdmissionError, AdmissionErrorCode, Mempool, defaultMempoolOptions, type MempoolGenesis } from '../../src/mempool/index.js'
import { txHash } from '../../src/batch/index.js'
import { bytesToHex } from '../../src/crypto/index.js'
import { EXPIRY_GRACE_MS } from '../../src/batch/index.js'
import { rejectsWithCode } from '../helpers/assert-error.js'
import { makeTx, TEST_CHAIN } from '../helpers/txs.js'
import { FakeMempoolStore } from './fake-store.js'

const genesis: MempoolGenesis = {
  chainId: TEST_CHAIN,
  rollups: [{ id: 1, name: 'a', weight: 1 }, { id: 2, name: 'b', weight: 1 }],
  limits: { maxPayloadBytes: 1024, maxActionsPerTx: 4, maxTxBytes: 4096, maxExpiryWindowMs: 60_000 }
}

function setup (options = {}) {
  const store = new FakeMempoolStore()
  const rejected: string[] = []
  const mempool = new Mempool(genesis, store, { ...defaultMempoolOptions, ...options }, {
    admitted: { inc: () => {} },
    rejected: { inc: (labels) => { rejected.push(labels.code!) } }
  })
  return { store, mempool, rejected }
}

t.test('an admitted tx is in the WAL before admit resolves, and is pending', async (t) => {
  const { store, mempool } = setup()
  const { bytes } = makeTx({ rollups: [1, 2] })
  const { hashHex } = await mempool.admit(bytes)
  t.ok(store.wal.has(hashHex), 'durable in the WAL')
  t.same(mempool.state(hashHex), { status: 'pending' })
  t.equal(mempool.stats().txs, 1)
})

t.test('every reject reason has its typed code, a counter and a status', async (t) => {
  const { mempool, rejected } = setup()
  const cases: Array<[string, Uint8Array, string]> = [
    ['garbage bytes', new Uint8Array([0xc1, 0x00, 0x01]), AdmissionErrorCode.MALFORMED],
    ['wrong shape', encode(TxSchema, makeTx().tx).subarray(0, 20), AdmissionErrorCode.MALFORMED],
    ['encoded tx over maxTxBytes', makeTx({ payloadBytes: 1000, rollups: [1, 1, 1, 1, 1] }).bytes, AdmissionErrorCode.TOO_LARGE],
    ['payload over maxPayloadBytes', makeTx({ payloadBytes: 1025 }).bytes, AdmissionErrorCode.TOO_LARGE],
    ['too many actions', makeTx({ rollups: [1, 2, 1, 2, 1] }).bytes, AdmissionErrorCode.TOO_LARGE],
    ['unknown rollup', makeTx({ rollups: [1, 99] }).bytes, AdmissionErrorCode.UNKNOWN_ROLLUP],
    ['signed for another chain', makeTx({ chainId: 'other-chain' }).bytes, AdmissionErrorCode.BAD_SIGNATURE],
    ['expired', makeTx({ expiry: Date.now() - 1 }).bytes, AdmissionErrorCode.EXPIRED],
    ['expiry beyond the window', makeTx({ expiry: Date.now() + 120_000 }).bytes, AdmissionErrorCode.EXPIRY_TOO_FAR]
  ]
  const flipped = makeTx()
  flipped.tx.signature[5]! ^= 1
  cases.push(['flipped signature bit', encode(TxSchema, flipped.tx), AdmissionErrorCode.BAD_SIGNATURE])
  for (const [name, bytes, code] of cases) {
    const err = await rejectsWithCode(t, mempool.admit(bytes), code, name) as AdmissionError
    t.type(err, AdmissionError, `${name}: AdmissionError`)
  }
  t.equal(rejected.length, cases.length, 'each reject counted once')
  t.same(new Set(rejected), new Set(cases.map((c) => c[2])), 'counted under its code')
  t.equal(mempool.stats().txs, 0, 'nothing was admitted')
  const unknown = makeTx({ rollups: [99] })
  await mempool.admit(unknown.bytes).catch(() => {})
  const { txHash } = await import('../../src/batch/index.js')
  const state = mempool.state(bytesToHex(txHash(TEST_CHAIN, unknown.tx)))
  t.equal(state?.status, 'rejected', 'status of a rejected hash says rejected')
  t.equal(state?.status === 'rejected' ? state.code : '', AdmissionErrorCode.UNKNOWN_ROLLUP)
})

t.test('duplicates are refused while pending, while proposed and once final', async (t) => {
  const { mempool, store } = setup()
  const a = makeTx()
  const { hashHex } = await mempool.admit(a.bytes)
  await rejectsWithCode(t, mempool.admit(a.bytes), AdmissionErrorCode.DUPLICATE, 'pending duplicate')
  t.same(mempool.state(hashHex), { status: 'pending' }, 'a duplicate does not change the status')
  const [entry] = await mempool.select({ maxTxs: 10, maxBytes: 1e6 }, 0, Date.now())
  await rejectsWithCode(t, mempool.admit(a.bytes), AdmissionErrorCode.DUPLICATE, 'proposed duplicate')
  mempool.finalizeHashes([entry!.hashHex])
  store.final.add(hashHex)
  await rejectsWithCode(t, mempool.admit(a.bytes), AdmissionErrorCode.DUPLICATE, 'final duplicate (replay)')
  const both = await Promise.allSettled([mempool.admit(makeTx({ nonce: 777_777 }).bytes), mempool.admit(makeTx({ nonce: 777_777 }).bytes)])
  t.ok(both.every((r) => r.status === 'fulfilled'), 'same nonce with different payloads are different txs')
})

t.test('concurrent submissions of one tx admit it once', async (t) => {
  const { mempool } = setup()
  const a = makeTx()
  const results = await Promise.allSettled(Array.from({ length: 5 }, () => mempool.admit(a.bytes)))
  t.equal(results.filter((r) => r.status === 'fulfilled').length, 1)
  t.equal(mempool.stats().txs, 1)
})

t.test('WAL writes are grouped: concurrent admissions share fsyncs', async (t) => {
  const { mempool, store } = setup()
  await Promise.all(Array.from({ length: 200 }, () => mempool.admit(makeTx().bytes)))
  t.ok(store.appends < 200 / 4, `${store.appends} WAL writes for 200 txs`)
})

t.test('a failed WAL write rejects the submission and leaves no trace', async (t) => {
  const { mempool, store } = setup()
  store.walAppend = async () => { throw new Error('disk full') }
  await t.rejects(mempool.admit(makeTx().bytes), /disk full/)
  t.equal(mempool.stats().txs, 0)
  t.equal(mempool.waiting, 0)
})

t.test('a resubmission while the first copy\'s WAL write fails is not a duplicate: it is written itself (audit #13 item 7)', async (t) => {
  const { mempool, store } = setup()
  const append = store.walAppend.bind(store)
  const failFirst = Promise.withResolvers<void>()
  let calls = 0
  store.walAppend = async (entries) => {
    if (calls++ === 0) { await failFirst.promise; throw new Error('EIO') }
    await append(entries)
  }
  const tx = makeTx()
  const first = mempool.admit(tx.bytes)
  const again = mempool.admit(tx.bytes) // while the first write is in flight
  await new Promise((resolve) => setImmediate(resolve))
  failFirst.resolve()
  await t.rejects(first, /EIO/, 'the first copy fails with its write')
  const result = await again
  t.equal(result.hashHex, bytesToHex(txHash(TEST_CHAIN, tx.tx)), 'the resubmission is admitted, not answered 409')
  t.ok(store.wal.has(result.hashHex), 'and it is durably in the WAL')
  t.equal(mempool.stats().txs, 1)
  await rejectsWithCode(t, mempool.admit(tx.bytes), AdmissionErrorCode.DUPLICATE, 'once held, a copy is a duplicate')
})

t.test('a resubmission while the first copy\'s WAL write succeeds is a duplicate, answered once it is durable', async (t) => {
  const { mempool, store } = setup()
  const append = store.walAppend.bind(store)
  const release = Promise.withResolvers<void>()
  const writing = Promise.withResolvers<void>()
  let writes = 0
  store.walAppend = async (entries) => { writes++; writing.resolve(); await release.promise; await append(entries) }
  const tx = makeTx()
  const first = mempool.admit(tx.bytes)
  let answered = false
  const again = rejectsWithCode(t, mempool.admit(tx.bytes), AdmissionErrorCode.DUPLICATE, 'duplicate').then(() => { answered = true })
  await writing.promise
  // Only `release` lets the held write finish, and the fake store answers in microtasks: one
  // macrotask turn runs everything the copy can do without that write.
  await new Promise((resolve) => setImmediate(resolve))
  t.equal(answered, false, 'no answer while the first write is in flight')
  t.equal(writes, 1, 'the copy started no write of its own')
  release.resolve()
  await first
  await again
  t.ok(store.wal.has(bytesToHex(txHash(TEST_CHAIN, tx.tx))))
})

t.test('a flooding rollup gets LANE_FULL (429) but the other keeps its guaranteed share', async (t) => {
  const { mempool } = setup({ maxTxs: 100 }) // reserves: 25 each, shared: 50
  let admittedA = 0
  let laneFull: AdmissionError | undefined
  for (let i = 0; i < 200; i++) {
    try {
      await mempool.admit(makeTx({ rollups: [1] }).bytes)
      admittedA++
    } catch (err) {
      laneFull = err as AdmissionError
      break
    }
  }
  t.equal(admittedA, 75, 'A holds its reserve (25) and the shared half (50), not B\'s reserve')
  t.equal(laneFull?.code, AdmissionErrorCode.LANE_FULL)
  t.equal(laneFull?.retryAfterSeconds, 1, 'tells the client when to retry')
  for (let i = 0; i < 25; i++) await mempool.admit(makeTx({ rollups: [2] }).bytes)
  t.equal(mempool.stats().txs, 100, 'B filled its reserve despite the flood')
  const full = await rejectsWithCode(t, mempool.admit(makeTx({ rollups: [2] }).bytes), AdmissionErrorCode.MEMPOOL_FULL) as AdmissionError
  t.equal(full.retryAfterSeconds, 1)
})

t.test('a lane over its share is refused before the signature is checked', async (t) => {
  const { mempool } = setup({ maxTxs: 100 })
  for (let i = 0; i < 75; i++) await mempool.admit(makeTx({ rollups: [1] }).bytes)
  const { tx } = makeTx({ rollups: [1] })
  const forged = encode(TxSchema, { ...tx, signature: new Uint8Array(tx.signature.length) })
  await rejectsWithCode(t, mempool.admit(forged), AdmissionErrorCode.LANE_FULL)
  await rejectsWithCode(t, mempool.admit(encode(TxSchema, { ...makeTx({ rollups: [2] }).tx, signature: new Uint8Array(64) })), AdmissionErrorCode.BAD_SIGNATURE, 'a lane with room still checks signatures')
})

t.test('a lane borrows shared space but never another lane\'s unused reserve', async (t) => {
  const { mempool } = setup({ maxTxs: 100 })
  for (let i = 0; i < 10; i++) await mempool.admit(makeTx({ rollups: [2] }).bytes)
  let a = 0
  while (true) {
    try { await mempool.admit(makeTx({ rollups: [1] }).bytes); a++ } catch { break }
  }
  t.equal(a, 75, 'A takes 100 - 10 used by B - 15 still reserved for B')
  for (let i = 0; i < 15; i++) await mempool.admit(makeTx({ rollups: [2] }).bytes)
  t.equal(mempool.stats().txs, 100, 'B still gets its whole reserve')
})

t.test('txs that expire while waiting are rejected explicitly and leave the WAL', async (t) => {
  let now = Date.now()
  const store = new FakeMempoolStore()
  const mempool = new Mempool(genesis, store, defaultMempoolOptions, null, () => now)
  const short = makeTx({ expiry: now + 1000 })
  const long = makeTx({ expiry: now + 50_000 })
  const s = await mempool.admit(short.bytes)
  await mempool.admit(long.bytes)
  now += 2000 + EXPIRY_GRACE_MS // past its expiry by more than the grace (batch/payload.ts)
  const selected = await mempool.select({ maxTxs: 10, maxBytes: 1e6 }, 0, now)
  t.equal(selected.length, 1, 'only the live tx is proposed')
  t.same(mempool.state(s.hashHex), { status: 'rejected', code: AdmissionErrorCode.EXPIRED, message: 'expired in the mempool before it was ordered', reason: 'expired' })
  t.notOk(store.wal.has(s.hashHex), 'removed from the WAL')
})

t.test('every way an acknowledged tx is dropped records its reason, and refusals cannot push those records out', async (t) => {
  let now = Date.now()
  const store = new FakeMempoolStore()
  const mempool = new Mempool(genesis, store, { ...defaultMempoolOptions, rejectionMemory: 4 }, null, () => now)
  const atInclusion = await mempool.admit(makeTx({ expiry: now + 1000 }).bytes)
  const inWal = await mempool.admit(makeTx({ expiry: now + 1000 }).bytes)
  // in a chunk of a batch that becomes final after its expiry: included, but it does not count
  await mempool.select({ maxTxs: 1, maxBytes: 1e6 }, -1, now)
  await mempool.rejectExpired([atInclusion.hashHex])
  t.match(mempool.state(atInclusion.hashHex), { status: 'rejected', code: AdmissionErrorCode.EXPIRED, reason: 'invalid' }, 'included but not counted: invalid')
  // the node restarts after the other one expired in its WAL (and its grace passed)
  now += 2000 + EXPIRY_GRACE_MS
  const restarted = new Mempool(genesis, store, { ...defaultMempoolOptions, rejectionMemory: 4 }, null, () => now)
  t.match(await restarted.recover(), { expired: 1 })
  t.match(restarted.state(inWal.hashHex), { status: 'rejected', code: AdmissionErrorCode.EXPIRED, reason: 'expired' }, 'expired in the WAL: expired')
  for (let i = 0; i < 10; i++) await rejectsWithCode(t, restarted.admit(makeTx({ rollups: [9] }).bytes), AdmissionErrorCode.UNKNOWN_ROLLUP)
  t.match(restarted.state(inWal.hashHex), { reason: 'expired' }, 'ten refusals later (memory 4) the drop is still known')
})

t.test('a member holding its bound: 503 OVERLOADED at once naming the bound, counted, not recorded against the tx; txs in chunks count; admitted again once some are final', async (t) => {
  let clock = Date.now() + 1000 // a little ahead, so that makeTx expiries (real clock + 60 s) stay within the window
  const store = new FakeMempoolStore()
  const rejected: string[] = []
  const mempool = new Mempool(genesis, store, { ...defaultMempoolOptions, overloadMinHeldTxs: 4, admitTargetMs: 500 }, {
    admitted: { inc: () => {} },
    rejected: { inc: (labels) => { rejected.push(labels.code!) } }
  }, () => clock)
  const admitted: string[] = []
  for (let i = 0; i < 4; i++) admitted.push((await mempool.admit(makeTx({ rollups: [1 + (i % 2)] }).bytes)).hashHex)
  t.pass('cold start: the floor of 4 held txs is admitted')
  await mempool.select({ maxTxs: 10, maxBytes: 1 << 20 }, -1, clock)
  t.equal(mempool.waiting, 0, 'all four packed into chunks')
  const late = makeTx({ rollups: [1] })
  const err = await rejectsWithCode(t, mempool.admit(late.bytes), AdmissionErrorCode.OVERLOADED)
  t.match((err as AdmissionError).message, /this member holds 4 txs \(\d+ B\) not final, its bound is 4 txs/, 'the chunked txs still count; the message names the bound')
  t.equal((err as AdmissionError).retryAfterSeconds, 1, 'with a Retry-After')
  t.same(rejected, [AdmissionErrorCode.OVERLOADED], 'counted by code')
  t.equal(mempool.state(bytesToHex(txHash(TEST_CHAIN, late.tx))), null, 'not recorded against the tx: it may come back')
  t.ok(mempool.laneGate(1) !== null, 'refused from the header too, before the body is read')
  clock += 100
  mempool.finalizeHashes(admitted.slice(0, 2))
  t.ok((await mempool.admit(late.bytes)).hashHex, 'two became final: admitted again')
})

t.test('a batch admitted concurrently does not overshoot the bound: each tx is checked again just before it is held', async (t) => {
  const mempool = new Mempool(genesis, new FakeMempoolStore(), { ...defaultMempoolOptions, overloadMinHeldTxs: 4 }, null, () => Date.now() + 1000)
  const results = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => mempool.admit(makeTx({ rollups: [1 + (i % 2)] }).bytes)))
  t.equal(results.filter((r) => r.status === 'fulfilled').length, 4, 'four admitted (the floor)')
  t.ok(results.every((r) => r.status === 'fulfilled' || (r.reason as AdmissionError).code === AdmissionErrorCode.OVERLOADED), 'the rest refused as OVERLOADED')
  t.equal(mempool.stats().txs, 4)
})

t.test('one rollup holding the bound: it is refused (503), the other rollup is admitted up to its share', async (t) => {
  const mempool = new Mempool(genesis, new FakeMempoolStore(), { ...defaultMempoolOptions, overloadMinHeldTxs: 8 }, null, () => Date.now() + 1000)
  for (let i = 0; i < 8; i++) await mempool.admit(makeTx({ rollups: [1] }).bytes)
  await rejectsWithCode(t, mempool.admit(makeTx({ rollups: [1] }).bytes), AdmissionErrorCode.OVERLOADED)
  t.ok(mempool.laneGate(1) !== null && mempool.laneGate(2) === null, 'from the header too: the flooding rollup refused, the other not')
  for (let i = 0; i < 4; i++) await mempool.admit(makeTx({ rollups: [2] }).bytes)
  t.pass('the other rollup is admitted up to its half of the bound')
  await rejectsWithCode(t, mempool.admit(makeTx({ rollups: [2] }).bytes), AdmissionErrorCode.OVERLOADED)
})

t.test('overloadGate (a request naming no rollup): refused before the body only when every rollup would be refused, counted once', async (t) => {
  const rejected: string[] = []
  const mempool = new Mempool(genesis, new FakeMempoolStore(), { ...defaultMempoolOptions, overloadMinHeldTxs: 8 }, {
    admitted: { inc: () => {} },
    rejected: { inc: (labels) => { rejected.push(labels.code!) } }
  }, () => Date.now() + 1000)
  t.equal(mempool.overloadGate(), null, 'an empty member is open')
  for (let i = 0; i < 8; i++) await mempool.admit(makeTx({ rollups: [1] }).bytes)
  t.equal(mempool.overloadGate(), null, 'over its bound, but rollup 2 holds nothing: read the body, its txs may get in')
  t.same(rejected, [], 'nothing counted')
  await rejectsWithCode(t, mempool.admit(makeTx({ rollups: [1] }).bytes), AdmissionErrorCode.OVERLOADED)
  rejected.length = 0
  for (let i = 0; i < 4; i++) await mempool.admit(makeTx({ rollups: [2] }).bytes)
  const refusal = mempool.overloadGate()
  t.equal(refusal?.code, AdmissionErrorCode.OVERLOADED, 'both rollups hold their share of a bound the member is over: 503 before the body')
  t.match(refusal?.message ?? '', /this member holds 12 txs \(\d+ B\) not final, its bound is 8 txs/, 'naming the bound')
  t.ok((refusal?.retryAfterSeconds ?? 0) >= 1, 'with a Retry-After')
  t.same(rejected, [AdmissionErrorCode.OVERLOADED], 'counted once, as one refusal')
})

t.test('bytes bound: large txs are refused once the held bytes reach the floor, whatever their count', async (t) => {
  const clock = Date.now() + 1000
  const mempool = new Mempool(genesis, new FakeMempoolStore(), { ...defaultMempoolOptions, overloadMinHeldTxs: 1000, overloadMinHeldBytes: 4000 }, null, () => clock)
  const big = (rollup: number): Uint8Array => makeTx({ rollups: [rollup, rollup], payloadBytes: 750 }).bytes // 2 actions of 750 B: ~1.6 kB, within the genesis limits
  await mempool.admit(big(1))
  await mempool.admit(big(2))
  t.ok(mempool.stats().bytes >= 3000 && mempool.stats().bytes < 4000, 'two of ~1.6 kB held')
  await mempool.admit(big(1))
  await mempool.admit(big(2)) // over the bytes bound, but this rollup held 1.6 kB, under its half of 4000 B
  await rejectsWithCode(t, mempool.admit(big(1)), AdmissionErrorCode.OVERLOADED)
  t.equal(mempool.stats().txs, 4, '4 txs held, far under the tx floor of 1000: the bytes refused')
})

t.test('flood isolation: a rollup holding its share of what the member makes final soon gets a 429 naming its lane limit; the other is admitted; the flood\'s admitted txs still go out', async (t) => {
  let clock = Date.now() + 1000
  const mempool = new Mempool(genesis, new FakeMempoolStore(), { ...defaultMempoolOptions, overloadMinBacklogTxs: 4, maxLagMs: 1000 }, null, () => clock)
  const flood: string[] = []
  for (let i = 0; i < 8; i++) flood.push((await mempool.admit(makeTx({ rollups: [1] }).bytes)).hashHex)
  // all packed into chunks (so the unpacked-backlog guard says nothing), 2 made final over 2 s: 1 tx/s
  const chunked = await mempool.select({ maxTxs: 100, maxBytes: 1 << 20 }, -1, clock)
  clock += 2000
  mempool.finalizeHashes(flood.slice(0, 2))
  clock += 10
  const err = await rejectsWithCode(t, mempool.admit(makeTx({ rollups: [1] }).bytes), AdmissionErrorCode.LANE_FULL)
  t.match((err as AdmissionError).message, /rollup \w+ is over its lane limit: 6 txs not final at this member, limit 2 \(weight 1 of 2/, 'the message names the lane, what it holds and its limit')
  t.equal((err as AdmissionError).retryAfterSeconds, 1, 'with a Retry-After')
  t.ok((await mempool.admit(makeTx({ rollups: [2] }).bytes)).hashHex, 'the other rollup, holding nothing, is admitted')
  t.equal(chunked.length, 8, 'the flood\'s admitted txs were all handed to the packer')
})
