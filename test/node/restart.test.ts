/**
 * Crash safety end to end: a node run from the CLI is killed with SIGKILL while
 * submissions are in flight, restarted from the same folder, and must then hold every
 * acknowledged tx exactly once in a chain that is contiguous, hash-linked, valid, and
 * byte-identical to what it had served before the kill.
 */
import t, { type Test } from 'tap'
import { randomBytes, randomInt } from 'node:crypto'
import { batchHash, nodeNmt, validateBatch, verifySlice } from '../../src/batch/index.js'
import { BatchHeaderSchema, BatchSchema, SliceSchema, TxSchema, encode, type Batch } from '../../src/codec/index.js'
import { bytesToHex, Ed25519Signer, equalBytes, generateKeyPair, verifyEd25519 } from '../../src/crypto/index.js'
import { signTx } from '../../src/mempool/index.js'
import { txHash } from '../../src/batch/index.js'
import type { Genesis } from '../../src/node/genesis.js'
import {
  getDecoded, getJson, getMsgpack, makeNodeHome, mapConcurrent, MSGPACK, patchJsonFile, startNodeProcess,
  submitTxBytes, waitCommitted, type Exit, type NodeProcess
} from '../helpers/node-process.js'

const WORKERS = 8
const LOAD_MS = 1200
const BURST_TXS = 300

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** Signed txs for rollups 1 and 2: single actions and two-action bundles, random payloads. */
class TxSource {
  readonly #signers = Array.from({ length: 4 }, () => new Ed25519Signer(generateKeyPair().seed))
  #nonce = 0

  constructor (readonly chainId: string) {}

  next (): { hash: string, bytes: Uint8Array } {
    const shapes = [[1], [2], [1, 2], [2, 1]]
    const rollups = shapes[randomInt(shapes.length)]!
    const signer = this.#signers[this.#nonce % this.#signers.length]!
    const tx = signTx(this.chainId, {
      actions: rollups.map((rollupId) => ({ rollupId, payload: randomBytes(1 + randomInt(200)) })),
      nonce: this.#nonce++,
      expiry: Date.now() + 10 * 60_000
    }, signer)
    return { hash: bytesToHex(txHash(this.chainId, tx)), bytes: encode(TxSchema, tx) }
  }
}

/** What the test remembers across kills. */
interface Ledger {
  /** every tx whose submission was started (acknowledged or not) */
  sent: Set<string>
  /** txs the API answered 202 for */
  acked: Set<string>
  /** encoded batches the node served before a kill, by height */
  seenBatches: Map<number, Uint8Array>
  /** final height read from /v1/status just before each kill */
  heightsBeforeKill: number[]
  /** anything that went wrong while the node was supposed to be up */
  errors: string[]
}

function newLedger (): Ledger {
  return { sent: new Set(), acked: new Set(), seenBatches: new Map(), heightsBeforeKill: [], errors: [] }
}

interface NodeStatusReply {
  chainId: string
  height: number
  mempool: { txs: number, bytes: number }
}

/**
 * Submits from WORKERS parallel loops while a follower reads each new final batch, then
 * SIGKILLs the node with submissions in flight.
 */
async function loadThenKill (node: NodeProcess, source: TxSource, ledger: Ledger, loadMs: number): Promise<{ acked: number, inFlightAtKill: number, exit: Exit }> {
  const { url } = node
  let killed = false
  let inFlight = 0
  let acked = 0
  const worker = async (): Promise<void> => {
    while (!killed) {
      const { hash, bytes } = source.next()
      ledger.sent.add(hash)
      inFlight++
      let reply: Awaited<ReturnType<typeof submitTxBytes>>
      try {
        reply = await submitTxBytes(url, bytes)
      } catch (err) {
        if (!killed) ledger.errors.push(`submit failed before the kill: ${String(err)}`)
        return
      } finally {
        inFlight--
      }
      if (reply.status === 202 && reply.body.hash === hash) {
        ledger.acked.add(hash)
        acked++
      } else if (reply.status === 429 || reply.status === 503) {
        await sleep(20) // lane or mempool full: back off as the Retry-After asks
      } else {
        ledger.errors.push(`submit: HTTP ${reply.status} ${JSON.stringify(reply.body)}`)
      }
    }
  }
  const follower = async (): Promise<void> => {
    let height = ledger.seenBatches.size
    while (!killed) {
      try {
        const res = await fetch(`${url}/v1/blocks/${height}`, { headers: { accept: MSGPACK } })
        if (res.status === 200) {
          ledger.seenBatches.set(height++, new Uint8Array(await res.arrayBuffer()))
        } else {
          await res.body?.cancel()
          await sleep(10)
        }
      } catch (err) {
        if (!killed) ledger.errors.push(`reading batch ${height} failed before the kill: ${String(err)}`)
        return
      }
    }
  }
  const running = [...Array.from({ length: WORKERS }, worker), follower()]
  await sleep(loadMs)
  const status = await getJson<NodeStatusReply>(url, '/v1/status')
  ledger.heightsBeforeKill.push(status.height)
  const inFlightAtKill = inFlight
  killed = true
  const exit = await node.kill('SIGKILL')
  await Promise.all(running)
  return { acked, inFlightAtKill, exit }
}

/**
 * After a restart: the head is back where it was and every batch read before is unchanged.
 * A kill can take back the last final batches (written behind the vote, docs/PROTOCOL.md
 * "What is durable before a vote"); the node rebuilds them from its pending blocks, so
 * the head may start lower and must come back, with the same bytes.
 */
async function checkSurvived (t: Test, url: string, ledger: Ledger): Promise<void> {
  const before = ledger.heightsBeforeKill.at(-1) ?? -1
  const deadline = Date.now() + 15_000
  let status = await getJson<NodeStatusReply>(url, '/v1/status')
  const atStart = status.height
  while (status.height < before && Date.now() < deadline) {
    await sleep(50)
    status = await getJson<NodeStatusReply>(url, '/v1/status')
  }
  t.ok(status.height >= before, `height ${status.height} after restart (${atStart} at start) is at least ${before}, the height before the kill`)
  const differing: number[] = []
  await mapConcurrent([...ledger.seenBatches], 8, async ([height, bytes]) => {
    if (!equalBytes(await getMsgpack(url, `/v1/blocks/${height}`), bytes)) differing.push(height)
  })
  t.same(differing, [], `the ${ledger.seenBatches.size} batches served before the kill are byte-identical after the restart`)
}

/**
 * Waits for every acknowledged tx to be committed, then scans the whole chain: contiguous,
 * hash-linked, valid batches; each acknowledged tx exactly once where its status says;
 * no tx twice; a few slices of both rollups verify.
 */
async function verifyChain (t: Test, url: string, genesis: Genesis, ledger: Ledger): Promise<void> {
  const { committed, missing } = await waitCommitted(url, ledger.acked, 20_000)
  t.equal(missing.size, 0, `all ${ledger.acked.size} acknowledged txs are committed (missing: ${JSON.stringify([...missing].slice(0, 5))})`)

  // Acknowledged-or-not txs recovered from the WAL may still be ordering: wait for an empty mempool.
  let status = await getJson<NodeStatusReply>(url, '/v1/status')
  for (const deadline = Date.now() + 10_000; status.mempool.txs > 0 && Date.now() < deadline; await sleep(50)) {
    status = await getJson<NodeStatusReply>(url, '/v1/status')
  }
  t.equal(status.mempool.txs, 0, 'the mempool drains')
  const height = status.height
  const heights = Array.from({ length: height + 1 }, (_, h) => h)
  const batches = await mapConcurrent(heights, 8, async (h) => (await getDecoded(url, `/v1/blocks/${h}`, BatchSchema)).value)

  const committee = { chainId: genesis.chainId, committeeKeys: genesis.committeeKeys }
  const problems: string[] = []
  const locations = new Map<string, Array<{ height: number, index: number }>>()
  let previous: Batch | null = null
  const countedByHeight = new Map<number, string[]>()
  for (const [h, batch] of batches.entries()) {
    const { header } = batch
    if (header.height !== h) problems.push(`batch ${h} says height ${header.height}`)
    const parent = previous === null ? new Uint8Array(32) : batchHash(previous.header)
    if (!equalBytes(header.parentHash, parent)) problems.push(`batch ${h} parentHash is not the hash of batch ${h - 1}`)
    // A tx may sit in two chunks (re-packed from the WAL after a kill); it counts once.
    const check = validateBatch(committee, batch, { nmt: nodeNmt, verifySignature: verifyEd25519, txHash }, (hex) => locations.has(hex))
    if (!check.ok) { problems.push(`batch ${h} invalid: ${check.reason}`); previous = batch; continue }
    const counted = check.counted.map((c) => bytesToHex(c.hash))
    countedByHeight.set(h, counted)
    counted.forEach((hash, index) => {
      const list = locations.get(hash) ?? []
      list.push({ height: h, index })
      locations.set(hash, list)
    })
    previous = batch
  }
  t.same(problems, [], `heights 0..${height} are contiguous, hash-linked and pass validateBatch`)

  const twice = [...locations].filter(([, list]) => list.length > 1)
  t.same(twice, [], `no tx appears twice among the ${locations.size} txs of the chain`)
  const foreign = [...locations.keys()].filter((hash) => !ledger.sent.has(hash))
  t.same(foreign, [], 'every tx in the chain is one the test sent')
  const notOnce: string[] = []
  const misplaced: string[] = []
  for (const hash of ledger.acked) {
    const list = locations.get(hash) ?? []
    if (list.length !== 1) { notOnce.push(`${hash} x${list.length}`); continue }
    const s = committed.get(hash)
    if (s !== undefined && (s.height !== list[0]!.height || s.index !== list[0]!.index)) {
      misplaced.push(`${hash}: status ${s.height}/${s.index}, chain ${list[0]!.height}/${list[0]!.index}`)
    }
  }
  t.same(notOnce, [], `each of the ${ledger.acked.size} acknowledged txs is in the chain exactly once`)
  t.same(misplaced, [], 'each committed status names the height and index where the tx is')

  // Slices of both rollups around each kill, at the ends and in the middle.
  const sample = new Set([0, height, Math.floor(height / 2)])
  for (const h of ledger.heightsBeforeKill) for (const x of [h, h + 1]) if (x >= 0 && x <= height) sample.add(x)
  const sliceProblems: string[] = []
  let leavesChecked = 0
  for (const h of [...sample].sort((a, b) => a - b)) {
    const batch = batches[h]!
    for (const rollupId of [1, 2]) {
      const { value: slice } = await getDecoded(url, `/v1/rollups/${rollupId}/slices/${h}`, SliceSchema)
      const check = verifySlice(committee, slice, { nmt: nodeNmt, verifySignature: verifyEd25519, batchHash })
      if (!check.ok) { sliceProblems.push(`slice ${rollupId}@${h}: ${check.reason}`); continue }
      if (!equalBytes(encode(BatchHeaderSchema, slice.header), encode(BatchHeaderSchema, batch.header))) sliceProblems.push(`slice ${rollupId}@${h}: header differs from the batch`)
      const counted = new Set(countedByHeight.get(h) ?? [])
      const seen = new Set<string>()
      const expected = batch.chunks.flatMap((c) => c.txs).flatMap((tx) => {
        const hash = bytesToHex(txHash(genesis.chainId, tx))
        if (!counted.has(hash) || seen.has(hash)) return []
        seen.add(hash)
        return tx.actions.flatMap((a, i) => a.rollupId === rollupId ? [`${hash}/${i}/${tx.actions.length}/${bytesToHex(a.payload)}`] : [])
      })
      const actual = check.leaves.map((l) => `${bytesToHex(l.txHash)}/${l.actionIndex}/${l.actionCount}/${bytesToHex(l.payload)}`)
      if (JSON.stringify(actual) !== JSON.stringify(expected)) sliceProblems.push(`slice ${rollupId}@${h}: leaves differ from the batch's actions`)
      leavesChecked += actual.length
    }
  }
  t.same(sliceProblems, [], `slices of rollups 1 and 2 at heights ${[...sample].sort((a, b) => a - b).join(', ')} verify and match the batches`)
  t.ok(leavesChecked > 0, `${leavesChecked} slice leaves checked`)
}

t.test('kill -9 under load, twice: every acknowledged tx committed exactly once, final batches survive', async (t) => {
  const home = await makeNodeHome(t, { chainId: 'restart-e2e' })
  const source = new TxSource(home.genesis.chainId)
  const ledger = newLedger()
  for (let cycle = 1; cycle <= 2; cycle++) {
    const node = await startNodeProcess(t, home.configFile)
    if (cycle > 1) await checkSurvived(t, node.url, ledger)
    const round = await loadThenKill(node, source, ledger, LOAD_MS)
    t.equal(round.exit.signal, 'SIGKILL', `cycle ${cycle}: the node died of SIGKILL`)
    t.ok(round.acked > 0, `cycle ${cycle}: ${round.acked} txs acknowledged`)
    t.ok(round.inFlightAtKill > 0, `cycle ${cycle}: ${round.inFlightAtKill} submissions were in flight at the kill`)
    t.ok(ledger.heightsBeforeKill.at(-1)! >= 0, `cycle ${cycle}: height ${ledger.heightsBeforeKill.at(-1)} was final before the kill`)
  }
  const node = await startNodeProcess(t, home.configFile)
  await checkSurvived(t, node.url, ledger)
  t.same(ledger.errors, [], 'no submit or read failed while the node was up')
  await verifyChain(t, node.url, home.genesis, ledger)
})

t.test('kill -9 right after a burst of acks: txs only in the WAL are committed after restart', async (t) => {
  const variants = [
    { name: 'default ordering', consensus: {}, onlyInWal: false },
    // A 5 s batch delay keeps every acknowledged tx out of the chain until the kill.
    { name: 'ordering held back', consensus: { chunkDelayMs: 5000 }, onlyInWal: true }
  ]
  for (const variant of variants) {
    await t.test(variant.name, async (t) => {
      // Nothing final yet: admission holds a member to its floor of not-final txs; the burst must fit in it.
      const home = await makeNodeHome(t, { chainId: 'burst-e2e', config: { consensus: variant.consensus, mempool: { overloadMinHeldTxs: 2 * BURST_TXS } } })
      const source = new TxSource(home.genesis.chainId)
      const ledger = newLedger()
      const first = await startNodeProcess(t, home.configFile)
      const txs = Array.from({ length: BURST_TXS }, () => source.next())
      for (const tx of txs) ledger.sent.add(tx.hash)
      const replies = await mapConcurrent(txs, 32, async (tx) => await submitTxBytes(first.url, tx.bytes))
      replies.forEach((r, i) => { if (r.status === 202 && r.body.hash === txs[i]!.hash) ledger.acked.add(txs[i]!.hash) })
      if (variant.onlyInWal) {
        const status = await getJson<NodeStatusReply>(first.url, '/v1/status')
        t.equal(status.height, -1, 'nothing is final before the kill')
        t.equal(status.mempool.txs, BURST_TXS, 'every acknowledged tx is only in the mempool and its WAL')
      }
      const exit = await first.kill('SIGKILL')
      t.equal(exit.signal, 'SIGKILL', 'killed right after the last ack')
      t.equal(ledger.acked.size, BURST_TXS, `all ${BURST_TXS} submissions were acknowledged`)

      await patchJsonFile(home.configFile, { consensus: {} })
      const second = await startNodeProcess(t, home.configFile)
      await verifyChain(t, second.url, home.genesis, ledger)
    })
  }
})
