import { generateKeyPair } from '../../src/crypto/index.js'
import { createCommitteeTransport, createMemoryP2PMetrics } from '../../src/p2p/index.js'

const keys = Array.from({ length: 4 }, () => generateKeyPair())
const mode = (process.argv[2] ?? 'direct') as 'direct' | 'gossipsub'
const t0 = Date.now()
const ts = await Promise.all(keys.map(async (k, i) => createCommitteeTransport({
  chainId: 'test', committeeKeys: keys.map(k => k.publicKey), selfIndex: i, seed: k.seed,
  listen: ['/ip4/127.0.0.1/tcp/0'], maxMessageBytes: 1 << 20, chunkTransport: mode, metrics: createMemoryP2PMetrics()
})))
await Promise.all(ts.map(t => t.start()))
console.log('started', Date.now() - t0, ts[0]!.listenAddrs, ts[0]!.peerIdOf(0))
for (const t of ts) t.setPeers(ts.filter(o => o !== t).map(o => ({ index: o.selfIndex, addrs: o.listenAddrs })))
const got: string[] = []
for (const t of ts) t.onMessage((from, b) => got.push(`${t.selfIndex}<-${from}:${Buffer.from(b).toString()}`))
for (const t of ts) t.onChunk((from, b) => { got.push(`${t.selfIndex}<=${from}:chunk${b.length}`); return 'accept' })
ts[0]!.send(1, Buffer.from('hello'))
ts[2]!.broadcast(Buffer.from('all'))
while (ts.some(t => t.connectedMembers().length < 3)) await new Promise(r => setTimeout(r, 10))
console.log('connected', Date.now() - t0)
await new Promise(r => setTimeout(r, 300))
await ts[3]!.publishChunk(new Uint8Array(32768), new Uint8Array(32).fill(7))
ts[1]!.handle('echo', async (from, b) => b)
console.log('req', Buffer.from(await ts[0]!.request(1, 'echo', Buffer.from('ping'), 1000)).toString())
await new Promise(r => setTimeout(r, 300))
console.log(got.sort())
for (const t of ts) { const s = Date.now(); await t.stop(); console.log("stop", t.selfIndex, Date.now() - s) }
console.log('stopped', Date.now() - t0)
