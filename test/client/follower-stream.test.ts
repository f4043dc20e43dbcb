/**
 * A follower serves the same streams and tx lifecycle as a member: a one-member committee
 * process with its public network and a follower in this process; through the follower,
 * the SDK's slice stream gets heartbeats (the follower's own `api.streamHeartbeatMs`) and
 * verified slices, and submitAndWait relays a tx, waits with the follower's long poll and
 * proves the tx final in the follower's verified slices.
 */
import t from 'tap'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import WebSocket from 'ws'
import {
  committeeFromGenesis, createTxBuilder, generateSigningKey, SequencerClient, type StreamHeartbeat, type VerifiedSlice
} from '../../src/client/index.js'
import { FollowerNode } from '../../src/follower/follower-node.js'
import { loadNodeConfig } from '../../src/node/config.js'
import { initFollower } from '../../src/node/init-follower.js'
import { initHome } from '../../src/node/init-home.js'
import { freePorts, startNodeProcess, tempDir } from '../helpers/node-process.js'

async function until (condition: () => boolean, what: () => string, timeoutMs = 20_000): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; !condition(); await new Promise((resolve) => setTimeout(resolve, 20))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what()}`)
  }
}

t.test('through a follower: heartbeats, verified slices, and submitAndWait with proof', async (t) => {
  const root = await tempDir(t, 'seqnode-follower-stream-')
  const home = join(root, 'home')
  const ports = await freePorts(3)
  const init = await initHome({ dir: home, chainId: 'follower-stream', nodes: 1, rollups: ['token', 'kv'], basePort: 0, p2pPorts: [ports[0]!], publicPorts: [ports[1]!] })
  await startNodeProcess(t, init.nodes[0]!.configFile)
  const { configFile } = await initFollower({ home, dir: join(root, 'follower'), apiPort: 0, publicPort: ports[2]! })
  const config = await loadNodeConfig(configFile)
  config.logLevel = 'warn'
  config.api = { ...config.api, streamHeartbeatMs: 250 }
  const follower = await FollowerNode.create(config)
  t.teardown(async () => await follower.close())
  await until(() => follower.status().peers >= 1, () => 'the follower to connect to the member')

  const committee = committeeFromGenesis(await readFile(init.genesisFile, 'utf8'))
  const client = new SequencerClient({ url: follower.apiUrl, committee, WebSocket })
  const heartbeats: StreamHeartbeat[] = []
  const slices: VerifiedSlice[] = []
  const sub = client.subscribeSlices({ rollup: 2, from: 0, onSlice: (s) => { slices.push(s) }, onHeartbeat: (h) => { heartbeats.push(h) } })
  t.teardown(() => sub.close())
  await until(() => heartbeats.length >= 2, () => `heartbeats from the follower: ${heartbeats.length}`)
  t.equal(heartbeats[0]!.intervalMs, 250, "the follower's own heartbeat interval")

  const builder = createTxBuilder({ chainId: committee.chainId, signer: generateSigningKey() })
  const tx = builder.single(2, new TextEncoder().encode('via-follower'))
  const final = await client.submitAndWait(tx, { timeoutMs: 30_000 })
  t.equal(final.slices[0]!.txs[0]?.txHash, tx.hash, 'proven final in the slice the follower served')
  await until(() => slices.length > final.height, () => `the stream to reach height ${final.height}`)
  t.same(slices.map((s) => s.height), Array.from({ length: slices.length }, (_, h) => h), 'the stream: every height once, in order')
  t.ok(slices[final.height]!.txs.some((leaf) => leaf.txHash === tx.hash), 'and the tx in the streamed slice of its height')
  await until(() => (heartbeats.at(-1)?.finalHeight ?? -1) >= final.height, () => `a heartbeat at final height ${final.height}`)
  t.pass("the follower's heartbeats carry its final height")
})
