import { fork } from 'node:child_process'
import { bytesToHex, generateKeyPair } from '../../src/crypto/index.js'
const keys = Array.from({ length: 4 }, () => generateKeyPair())
const ws = keys.map(() => fork('bench/p2p/chunk-worker.ts', [], { execArgv: ['--import', './src/polyfills/register.js', '--import', 'tsx'] }))
const call = (w: any, c: any) => new Promise<any>((res) => { w.once('message', res); w.send(c) })
const inits = await Promise.all(ws.map((w, index) => call(w, { cmd: 'init', index, mode: 'gossipsub', committeeKeys: keys.map(k => bytesToHex(k.publicKey)), seed: bytesToHex(keys[index]!.seed) })))
console.log('inited')
const t0 = Date.now()
await Promise.all(ws.map(async (w, index) => { await call(w, { cmd: 'peers', peers: inits.map((r: any, i) => ({ index: i, addrs: r.listenAddrs })).filter(p => p.index !== index) }); console.log('ready', index, Date.now() - t0) }))
const r = await call(ws[0], { cmd: 'ping', to: 1, count: 100 })
console.log('ping', r.rttMs.slice(0, 5))
for (const w of ws) w.send({ cmd: 'exit' })
