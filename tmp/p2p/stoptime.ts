import { generateKeyPair } from '../../src/crypto/index.js'
import { createCommitteeTransport } from '../../src/p2p/index.js'
const keys = Array.from({ length: 2 }, () => generateKeyPair())
const ts = await Promise.all(keys.map(async (k, i) => createCommitteeTransport({
  chainId: 'test', committeeKeys: keys.map(k => k.publicKey), selfIndex: i, seed: k.seed,
  listen: ['/ip4/127.0.0.1/tcp/0'], maxMessageBytes: 1 << 20, chunkTransport: 'direct'
})))
await Promise.all(ts.map(t => t.start()))
let t0 = Date.now()
if (process.argv[2] === 'alone') { await ts[0]!.stop(); console.log('alone stop', Date.now() - t0); process.exit(0) }
ts[0]!.setPeers([{ index: 1, addrs: ts[1]!.listenAddrs }])
while (ts[0]!.connectedMembers().length < 1) await new Promise(r => setTimeout(r, 10))
if (process.argv[2] === 'send') { ts[0]!.send(1, new Uint8Array(10)); await new Promise(r => setTimeout(r, 100)) }
await new Promise(r => setTimeout(r, 200))
t0 = Date.now()
await ts[0]!.stop(); console.log('stop0', Date.now() - t0)
t0 = Date.now()
await ts[1]!.stop(); console.log('stop1', Date.now() - t0)
