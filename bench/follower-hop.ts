/**
 * One hop between a member's and a follower's public hosts in this process (127.0.0.1, real
 * libp2p: TCP, noise, yamux): a 400 B tx bundle on the direct tx stream vs the tx topic, and
 * a 40 KB final batch on the push stream vs the final topic, alternating, from the send to
 * the receiver's validator. One process, so it measures the code path, not scheduling.
 *
 *   node --import ./src/polyfills/register.js --import tsx bench/follower-hop.ts
 */
import { generateKeyPair } from '../src/crypto/index.js'
import { PublicNetwork } from '../src/p2p/public-network.js'
const sleep = async (ms: number) => new Promise((r) => setTimeout(r, ms))
const member = new PublicNetwork({ chainId: 'hop', seed: generateKeyPair().seed, listen: ['/ip4/127.0.0.1/tcp/0'], bootstrap: [], maxMessageBytes: 1 << 20, serveFollowers: true, subscribeFinal: false })
const arrived = new Map<number, number>()
member.onTx((_p, bytes) => { arrived.set(new DataView(bytes.buffer, bytes.byteOffset).getUint32(0), performance.now()); return 'accept' })
member.onFinalBatch(() => 'ignore')
await member.start()
const follower = new PublicNetwork({ chainId: 'hop', seed: generateKeyPair().seed, listen: ['/ip4/127.0.0.1/tcp/0'], bootstrap: [`${member.listenAddrs[0]!.split('/p2p/')[0]}/p2p/${member.peerId}`], maxMessageBytes: 1 << 20, members: new Set([member.peerId]) })
const got = new Map<number, number>()
follower.onTx(() => 'ignore'); follower.onFinalBatch((_p, bytes) => { got.set(new DataView(bytes.buffer, bytes.byteOffset).getUint32(0), performance.now()); return 'accept' })
await follower.start()
while (!follower.hasDirectTxs(member.peerId)) await sleep(20)
let probe = 0; for (;;) { if (await follower.publishTxs(new Uint8Array(400).fill(probe++ % 250)).then(() => true, () => false)) break; await sleep(100) }
await sleep(500)
const lat: Record<string, number[]> = { direct: [], topic: [] }
for (let i = 1; i <= 600; i++) {
  const bytes = new Uint8Array(400); crypto.getRandomValues(bytes); new DataView(bytes.buffer).setUint32(0, i)
  const path = i % 2 === 0 ? 'direct' : 'topic'
  const t0 = performance.now()
  if (path === 'direct') follower.sendTxsDirect(member.peerId, bytes); else await follower.publishTxs(bytes)
  while (!arrived.has(i)) await sleep(0)
  lat[path]!.push(arrived.get(i)! - t0)
  await sleep(5)
}
const q = (a: number[], p: number) => { const s = [...a].sort((x, y) => x - y); return s[Math.floor(p * (s.length - 1))]!.toFixed(2) }
for (const [k, v] of Object.entries(lat)) console.log(k, 'n', v.length, 'p50', q(v, 0.5), 'p90', q(v, 0.9), 'p99', q(v, 0.99))
while (member.pushSubscribers === 0) await sleep(20)
const fin: Record<string, number[]> = { push: [], topic: [] }
for (let i = 1; i <= 400; i++) {
  const bytes = new Uint8Array(40_000); crypto.getRandomValues(bytes.subarray(0, 64)); new DataView(bytes.buffer).setUint32(0, i)
  const path = i % 2 === 0 ? 'push' : 'topic'
  const t0 = performance.now()
  if (path === 'push') member.pushFinal(bytes); else await member.publishFinal(bytes)
  const until = performance.now() + 2000
  while (!got.has(i) && performance.now() < until) await sleep(0)
  if (got.has(i)) fin[path]!.push(got.get(i)! - t0)
  await sleep(5)
}
for (const [k, v] of Object.entries(fin)) console.log('final 40 KB', k, 'n', v.length, 'p50', q(v, 0.5), 'p90', q(v, 0.9), 'p99', q(v, 0.99))
await follower.stop(); await member.stop()
