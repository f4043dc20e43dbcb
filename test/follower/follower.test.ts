/**
 * Followers end to end: four `seqnode start` member processes with public networks on
 * 127.0.0.1 and a follower in this process. Txs submitted to the follower are checked,
 * gossiped, admitted by members and become final; the follower stores only verified final
 * batches (byte-equal to the members'), serves slices that the SDK verifies against the
 * genesis committee, refuses bad txs with the members' codes, catches up after it was
 * stopped, and a rogue public peer that floods invalid txs is cut off by the members.
 */
import t from 'tap'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { committeeFromGenesis, SequencerClient } from '../../src/client/index.js'
import { generateKeyPair } from '../../src/crypto/index.js'
import { FollowerNode } from '../../src/follower/follower-node.js'
import { signTx } from '../../src/mempool/index.js'
import { decode, encode, SyncItemSchema, SyncRequestSchema, SyncResponseSchema, RelayBundleSchema, TxSchema, type SyncItem } from '../../src/codec/index.js'
import { FinalIntake } from '../../src/follower/final-intake.js'
import { chainRules } from '../../src/node/data-check.js'
import { parseGenesis } from '../../src/node/genesis.js'
import { ChainStore } from '../../src/store/index.js'
import { Ed25519Signer } from '../../src/crypto/index.js'
import { loadNodeConfig } from '../../src/node/config.js'
import { initFollower } from '../../src/node/init-follower.js'
import { initHome } from '../../src/node/init-home.js'
import { PublicNetwork } from '../../src/p2p/public-network.js'
import { freePorts, getJson, getMetricsText, patchJsonFile, startNodeProcess, submitTxBytes, tempDir, type NodeProcess } from '../helpers/node-process.js'

const CHAIN_ID = 'follower-e2e'

function sumOf (metricsText: string, name: string): number {
  return metricsText.split('\n').filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `)).reduce((sum, line) => sum + Number(line.split(' ').pop()), 0)
}
const sleep = async (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

async function waitFor (condition: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!await condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await sleep(50)
  }
}

t.test('a follower relays txs, serves verified final batches and slices, and catches up', async (t) => {
  const root = await tempDir(t, 'seqnode-follower-')
  const home = join(root, 'home')
  const ports = await freePorts(10)
  const init = await initHome({ dir: home, chainId: CHAIN_ID, nodes: 4, rollups: ['token', 'kv'], basePort: 0, p2pPorts: ports.slice(0, 4), publicPorts: ports.slice(4, 8) })
  for (const n of init.nodes) await patchJsonFile(n.configFile, { consensus: { baseTimeoutMs: 200 } })
  const members: NodeProcess[] = await Promise.all(init.nodes.map(async (n) => startNodeProcess(t, n.configFile)))
  const genesisJson = JSON.parse(await readFile(init.genesisFile, 'utf8'))
  const committee = committeeFromGenesis(genesisJson)

  const followerDir = join(root, 'follower')
  const { configFile } = await initFollower({ home, dir: followerDir, apiPort: 0, publicPort: ports[8]! })
  const startFollower = async (): Promise<FollowerNode> => {
    const config = await loadNodeConfig(configFile)
    config.logLevel = 'warn'
    const node = await FollowerNode.create(config)
    t.teardown(async () => node.close())
    return node
  }
  let follower = await startFollower()
  const viaFollower = new SequencerClient({ url: follower.apiUrl, committee })

  // ---- tx gossip in: submitted to the follower, final at the members ----
  const signer = new Ed25519Signer(generateKeyPair().seed)
  const kvTx = (i: number): Uint8Array => encode(TxSchema, signTx(CHAIN_ID, { actions: [{ rollupId: 2, payload: new TextEncoder().encode(`k${i}=v${i}`) }], nonce: i, expiry: Date.now() + 60_000 }, signer))
  // gossipsub only publishes to peers whose subscription it has seen: wait for a member to be connected
  await waitFor(() => follower.status().peers >= 1, 10_000, 'follower connected to members')
  const hashes: string[] = []
  for (let i = 0; i < 20; i++) {
    const reply = await submitTxBytes(follower.apiUrl, kvTx(i))
    t.equal(reply.status, 202, `tx ${i}: accepted for gossip`)
    t.equal(reply.body.status, 'relayed', 'the ack says relayed, not a member\'s durable pending')
    hashes.push(reply.body.hash!)
  }
  await waitFor(async () => {
    const statuses = await Promise.all(hashes.map(async (h) => viaFollower.txStatus(h)))
    return statuses.every((s) => s?.status === 'committed')
  }, 30_000, 'every relayed tx committed, as seen from the follower')
  t.pass('every tx sent to the follower is final, and the follower reports it')
  // Each relayed tx reaches every member, but only its home member admits it (public-gateway.ts).
  const admitted = await Promise.all(members.map(async (m) => sumOf(await getMetricsText(m.url), 'seq_txs_admitted_total')))
  t.equal(admitted.reduce((a, b) => a + b, 0), hashes.length, `each relayed tx admitted once in the committee (by member: ${admitted.join(', ')})`)
  // ... sent to that member alone on its direct stream, not to all four on the topic
  const bundleLines = (await getMetricsText(follower.apiUrl)).split('\n').filter((line) => line.startsWith('seq_follower_relay_bundles_total{'))
  t.ok(bundleLines.some((line) => line.includes('path="direct"') && Number(line.split(' ').pop()) > 0), `bundles went direct to their home members (${bundleLines.join('; ')})`)

  // ---- bad input at the follower: the members' codes ----
  const bad = kvTx(999)
  bad[bad.length - 1]! ^= 1 // the signature's last byte
  const refused = await submitTxBytes(follower.apiUrl, bad)
  t.equal(refused.status, 400)
  t.equal(refused.body.error?.code, 'TX_BAD_SIGNATURE')
  const unknown = encode(TxSchema, signTx(CHAIN_ID, { actions: [{ rollupId: 77, payload: new Uint8Array(1) }], nonce: 1, expiry: Date.now() + 60_000 }, signer))
  t.equal((await submitTxBytes(follower.apiUrl, unknown)).body.error?.code, 'TX_UNKNOWN_ROLLUP')

  // ---- chain out: the follower's batches are the members' batches ----
  const memberHeight = (await getJson<{ height: number }>(members[0]!.url, '/v1/status')).height
  await waitFor(() => follower.status().height >= memberHeight, 15_000, 'follower at the members\' height')
  for (const height of [0, Math.floor(memberHeight / 2), memberHeight]) {
    const a = await getJson<{ hash: string }>(members[1]!.url, `/v1/blocks/${height}`)
    const b = await getJson<{ hash: string }>(follower.apiUrl, `/v1/blocks/${height}`)
    t.equal(b.hash, a.hash, `height ${height}: the follower holds the committee's batch`)
  }
  // Every member pushes each final batch at commit; the follower took them from that stream.
  const followerMetrics = await getMetricsText(follower.apiUrl)
  const pushedAccepted = followerMetrics.split('\n').find((line) => line.startsWith('seq_follower_messages_total{kind="final_push",verdict="accept"}'))
  t.ok(Number(pushedAccepted?.split(' ').pop() ?? 0) > 0, `final batches arrived on the members' push streams (${pushedAccepted})`)
  t.ok(sumOf(followerMetrics, 'seq_follower_final_lag_seconds_count') > 0, 'the follower times each batch\'s stages')
  const committed = await viaFollower.txStatus(hashes[0]!)
  if (committed?.status !== 'committed') throw new Error('unreachable')
  const slice = await viaFollower.getSlice(2, committed.height)
  t.ok(slice.txs.some((leaf) => leaf.txHash === hashes[0]), 'the SDK verified the follower\'s slice (QC + NMT) and it holds the tx')

  // ---- behind a sentry: a follower that sees no member gets the batches on the final topic ----
  // (the first follower took them by push, so it is off the topic itself and republishes them)
  const behindDir = join(root, 'behind')
  const behindInit = await initFollower({ home, dir: behindDir, apiPort: 0, publicPort: ports[9]! })
  const behindConfig = await loadNodeConfig(behindInit.configFile)
  behindConfig.logLevel = 'warn'
  behindConfig.public = { ...behindConfig.public!, bootstrap: follower.publicAddrs.map((addr) => `${addr.split('/p2p/')[0]!}/p2p/${follower.peerId}`) }
  const behind = await FollowerNode.create(behindConfig)
  t.teardown(async () => behind.close())
  await waitFor(() => behind.status().peers >= 1, 10_000, 'the second follower connected to the first')
  const behindFrom = follower.status().height
  for (let i = 200; i < 206; i++) await submitTxBytes(follower.apiUrl, kvTx(i))
  await waitFor(async () => sumOf(await getMetricsText(behind.apiUrl), 'seq_follower_messages_total{kind="final",verdict="accept"}') > 0 && behind.status().height > behindFrom, 20_000, 'a batch reached the second follower on the topic')
  t.pass(`the follower behind the first one got batches on the final topic (height ${behind.status().height})`)
  await behind.close()

  // ---- catch-up: stopped while the chain moves on, then back ----
  await follower.close()
  const viaMember = new SequencerClient({ url: members[2]!.url, committee })
  for (let i = 100; i < 110; i++) await viaMember.submit(kvTx(i))
  await waitFor(async () => (await getJson<{ height: number }>(members[0]!.url, '/v1/status')).height > memberHeight + 3, 15_000, 'the chain moved on')
  const target = (await getJson<{ height: number }>(members[0]!.url, '/v1/status')).height
  follower = await startFollower()
  await waitFor(() => follower.status().height >= target, 15_000, 'follower caught up by sync')
  t.pass(`the restarted follower caught up from ${memberHeight} to ${target}`)
  // The follower runs the same in-process rollups: same state roots at the same heights.
  type RollupState = Array<{ rollupId: number, height: number, stateRoot: string }>
  await waitFor(async () => {
    const [mine, theirs] = await Promise.all([getJson<RollupState>(follower.apiUrl, '/v1/rollups/state'), getJson<RollupState>(members[0]!.url, '/v1/rollups/state')])
    const kvMine = mine.find((r) => r.rollupId === 2)
    const kvTheirs = theirs.find((r) => r.rollupId === 2)
    return kvMine !== undefined && kvTheirs !== undefined && kvMine.height === kvTheirs.height && kvMine.height >= 0
  }, 15_000, 'the follower\'s kv rollup at the member\'s height')
  const [mine, theirs] = await Promise.all([getJson<RollupState>(follower.apiUrl, '/v1/rollups/state'), getJson<RollupState>(members[0]!.url, '/v1/rollups/state')])
  t.equal(mine.find((r) => r.rollupId === 2)!.stateRoot, theirs.find((r) => r.rollupId === 2)!.stateRoot, 'kv state root: follower = member')

  // ---- a rogue public peer floods invalid txs: the members cut it off ----
  const rogue = new PublicNetwork({
    chainId: CHAIN_ID,
    seed: generateKeyPair().seed,
    listen: ['/ip4/127.0.0.1/tcp/0'],
    bootstrap: (await loadNodeConfig(configFile)).public!.bootstrap,
    maxMessageBytes: 1024 * 1024
  })
  await rogue.start()
  t.teardown(async () => rogue.stop())
  rogue.onTx(() => 'ignore')
  await waitFor(() => rogue.connectedPeers().length >= 4, 10_000, 'rogue connected to the members')

  // ---- the intake's rules, on real final batches fetched by sync into a fresh store ----
  const reply = decode(SyncResponseSchema, await rogue.requestSync(rogue.connectedPeers()[0]!, encode(SyncRequestSchema, { version: 1, fromHeight: 0, maxCount: 20 }), 5000))
  t.ok(reply.items.length >= 2, `a member served ${reply.items.length} final batches by sync`)
  const store = await ChainStore.open(join(root, 'intake-store'), parseGenesis(genesisJson).hash)
  t.teardown(async () => store.close())
  const intake = new FinalIntake(store, chainRules(parseGenesis(genesisJson)))
  const [first, second] = reply.items as [SyncItem, SyncItem]
  const forgedProof = structuredClone(first)
  forgedProof.finality.certificate.signatures[0]![5]! ^= 1
  t.same(await intake.accept(forgedProof), { verdict: 'reject', reason: 'BAD_COMMIT_PROOF' }, 'a flipped QC signature bit is refused')
  const forgedBody = structuredClone(first)
  // the header (so the proof) stays; the body changes: a chunk taken from another batch
  const foreign = reply.items.flatMap((item) => item.batch.chunks)[0]!
  forgedBody.batch.chunks.push(structuredClone(foreign))
  t.same(await intake.accept(forgedBody), { verdict: 'reject', reason: 'BAD_BODY' }, 'a batch body that does not match its header is refused though its proof is good')
  t.same(await intake.accept(second), { verdict: 'accept', stored: [] }, 'height 1 before height 0 is held, not stored')
  t.same(await intake.accept(first), { verdict: 'accept', stored: [0, 1] }, 'height 0 stores both')
  t.same(await intake.accept(first), { verdict: 'ignore', reason: 'OLD_HEIGHT' })
  const firstBytes = encode(SyncItemSchema, first)
  t.same(await intake.acceptBytes(firstBytes), { verdict: 'ignore', reason: 'OLD_HEIGHT' }, 'bytes are decoded the first time')
  t.same(await intake.acceptBytes(firstBytes), { verdict: 'ignore', reason: 'SEEN' }, 'the same bytes again (another member\'s push) are dropped unread')
  t.equal(store.head()?.height, 1)
  const floodStarted = Date.now()
  let sent = 0
  while (rogue.connectedPeers().length > 0 && Date.now() - floodStarted < 10_000) {
    const garbage = kvTx(10_000 + sent++)
    garbage[garbage.length - 1]! ^= 1
    await rogue.publishTxs(encode(RelayBundleSchema, { version: 1, txs: [garbage] })).catch(() => {})
    if (sent % 20 === 0) await sleep(1)
  }
  const cutOffMs = Date.now() - floodStarted
  t.equal(rogue.connectedPeers().length, 0, `the members and the follower dropped the rogue peer after ${sent} invalid txs in ${cutOffMs} ms`)
  const before = (await getJson<{ height: number }>(members[0]!.url, '/v1/status')).height
  await viaMember.submit(kvTx(500))
  await waitFor(async () => (await getJson<{ height: number }>(members[0]!.url, '/v1/status')).height > before, 10_000, 'the committee keeps finalising')
  t.pass('the committee kept finalising')
})
