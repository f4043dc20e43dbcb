/**
 * Issue #13 item 4: a proposal is checked (sender, signature) before a member fetches
 * anything for it or stores it as a pending block. Before, an unknown parent or chunk
 * made the member ask the sender at once, and a proposal on a known parent was written to
 * disk (and reloaded at restart) before its signature was checked.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { pino } from 'pino'
import { batchHash } from '../../src/batch/index.js'
import { sha256 } from '../../src/crypto/index.js'
import { Mempool, defaultMempoolOptions } from '../../src/mempool/index.js'
import { ConsensusDriver, computePayload, defaultConsensusDriverOptions, encodeMessage, type ConsensusRejectCode } from '../../src/ordering/index.js'
import { ChainStore } from '../../src/store/index.js'
import { clusterGenesis } from '../helpers/cluster.js'
import { MemoryNetwork } from '../helpers/memory-network.js'
import { CHAIN, committeeKeys, header, proposal, qc, signers } from './consensus-fixtures.js'

async function memberZero (t: { teardown: (fn: () => unknown) => void }): Promise<{ store: ChainStore, requests: string[], refused: ConsensusRejectCode[], send: (bytes: Uint8Array) => void }> {
  const dir = await mkdtemp(join(tmpdir(), 'seq-unverified-'))
  const net = new MemoryNetwork(4)
  const store = await ChainStore.open(join(dir, 'store'), sha256(new TextEncoder().encode('unverified')))
  const mempool = new Mempool({ ...clusterGenesis, chainId: CHAIN }, store, defaultMempoolOptions)
  await mempool.recover()
  const requests: string[] = []
  const refused: ConsensusRejectCode[] = []
  // Member 1 (the sender of the proposals) records what it is asked for.
  for (const protocol of ['chunks', 'blocks']) {
    net.members[1]!.handle(protocol, async () => { requests.push(protocol); throw new Error('not answering') })
  }
  const driver = new ConsensusDriver({
    chainId: CHAIN,
    committeeKeys,
    rollupIds: clusterGenesis.rollups.map((r) => r.id),
    limits: clusterGenesis.limits,
    self: 0,
    signer: signers[0]!,
    store,
    mempool,
    transport: net.members[0]!,
    logger: pino({ level: 'silent' }),
    metrics: null,
    onFinal: () => {},
    onReject: (_from, code) => refused.push(code)
  }, { safety: null, tip: null }, { ...defaultConsensusDriverOptions, syncIntervalMs: 60_000 })
  driver.start()
  t.teardown(async () => { await driver.stop(); await store.close(); await rm(dir, { recursive: true, force: true }) })
  return { store, requests, refused, send: (bytes) => net.members[1]!.send(0, bytes) }
}

const settle = async (): Promise<void> => { for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r)) }

t.test('a badly signed proposal with an unknown parent and chunk triggers no fetch', async (t) => {
  const m = await memberZero(t)
  const parent = new Uint8Array(32).fill(3)
  const h = header({ round: 5, height: 8, parentHash: parent, chunkDigests: [new Uint8Array(32).fill(4)] })
  m.send(encodeMessage({ kind: 'proposal', proposal: proposal(h, { justify: qc(4, 7, parent), badSignature: true }) }))
  await settle()
  t.same(m.refused, ['CONSENSUS_BAD_SIGNATURE'], 'refused as a bad signature')
  t.same(m.requests, [], 'nothing was asked of the sender')
  // The control: the same proposal signed makes the member fetch, so the check above can fail.
  m.send(encodeMessage({ kind: 'proposal', proposal: proposal(h, { justify: qc(4, 7, parent) }) }))
  for (let i = 0; i < 200 && m.requests.length === 0; i++) await new Promise((r) => setTimeout(r, 5))
  t.ok(m.requests.length > 0, `a signed one is fetched for (${m.requests.join(', ')})`)
})

t.test('a badly signed proposal on a known parent is not stored as a pending block', async (t) => {
  const m = await memberZero(t)
  const empty = computePayload([], [], () => [], 1000, () => false)
  const h = header({ round: 1, payloadRoot: empty.payloadRoot, namespaces: empty.namespaces, timestamp: Date.now() })
  m.send(encodeMessage({ kind: 'proposal', proposal: proposal(h, { badSignature: true }) }))
  await settle()
  t.same(m.refused, ['CONSENSUS_BAD_SIGNATURE'])
  t.same(await m.store.pendingBlocks(), [], 'no pending block on disk')
  // The control: signed, the same proposal is stored (so the check above can fail).
  m.send(encodeMessage({ kind: 'proposal', proposal: proposal(h) }))
  let stored: Array<{ hash: Uint8Array }> = []
  for (let i = 0; i < 200 && stored.length === 0; i++) { await new Promise((r) => setTimeout(r, 5)); stored = await m.store.pendingBlocks() }
  t.same(stored.map((s) => Buffer.from(s.hash).toString('hex')), [Buffer.from(batchHash(h)).toString('hex')], 'the signed one is')
})
