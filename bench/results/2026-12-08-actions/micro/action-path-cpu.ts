/**
 * CPU of the per-action work of a 4-member committee for 64-action txs, in one process (no
 * HTTP, libp2p or level): 3 receivers' checkChunk (tx hashes: action trees), then the payload
 * (leaves, NMT) on 4 members (leader + 3 replicas), then a second payload of the same chunks
 * (a re-proposal after a timeout). Usage: node --import tsx action-path-cpu.ts <src root> [txs] [txs per chunk]
 */
const root = process.argv[2]!
const N = Number(process.argv[3] ?? 256)
const K = Number(process.argv[4] ?? 16)
const codec = await import(`${root}/codec/index.js`)
const crypto = await import(`${root}/crypto/index.js`)
const batch = await import(`${root}/batch/index.js`)
const mempool = await import(`${root}/mempool/index.js`)
const payloadMod = await import(`${root}/ordering/block-payload.js`)
const CHAIN = 'bench-chain'
const signer = new crypto.Ed25519Signer(crypto.generateKeyPair().seed)
const member = new crypto.Ed25519Signer(crypto.generateKeyPair().seed)
const txs: any[] = []
for (let i = 0; i < N; i++) {
  const actions = Array.from({ length: 64 }, (_, a) => { const p = new Uint8Array(256); for (let j = 0; j < 256; j++) p[j] = (i * 31 + a * 7 + j) & 0xff; return { rollupId: 1 + (a & 1), payload: p } })
  txs.push(mempool.signTx(CHAIN, { actions, nonce: i, expiry: Date.now() + 600_000 }, signer))
}
const chunkBytes: Uint8Array[] = []
for (let c = 0; c * K < N; c++) {
  const body = { version: 1, origin: 0, seq: c, lane: 1, txs: txs.slice(c * K, (c + 1) * K) }
  const signature = member.sign(batch.chunkSigningMessage(CHAIN, body))
  chunkBytes.push(codec.encode(codec.ChunkSchema, { ...body, signature }))
}
const rules = { chainId: CHAIN, committeeKeys: [member.publicKey], rollupIds: new Set([1, 2]), maxActionsPerTx: 64, maxPayloadBytes: 4096, maxTxsPerChunk: 4096 }
const cpu = (): number => { const u = process.cpuUsage(); return u.user + u.system }
function run (): Record<string, number> {
  const t: Record<string, number> = {}
  let s = cpu()
  let checks: any[] = []
  for (let m = 0; m < 3; m++) checks = chunkBytes.map((b) => { const c = payloadMod.checkChunk(rules, b, 1 << 26); if (!c.ok) throw new Error(c.code); return c })
  t.receive3 = cpu() - s; s = cpu()
  const of = (c: any): any => c.txs ?? c.hashes
  // each member has its own pool entries: the leader's and 3 replicas' payloads, then a re-proposal on each
  const pools = Array.from({ length: 4 }, () => chunkBytes.map((b) => of(payloadMod.checkChunk(rules, b, 1 << 26))))
  s = cpu()
  let root1: Uint8Array | undefined
  for (const pool of pools) root1 = payloadMod.computePayload(checks.map((c) => c.chunk), checks.map((c) => crypto.bytesToHex(c.digest)), (i: number) => pool[i], Date.now(), () => false).payloadRoot
  t.payload4 = cpu() - s; s = cpu()
  for (const pool of pools) { const r = payloadMod.computePayload(checks.map((c) => c.chunk), checks.map((c) => crypto.bytesToHex(c.digest)), (i: number) => pool[i], Date.now(), () => false).payloadRoot; if (crypto.bytesToHex(r) !== crypto.bytesToHex(root1!)) throw new Error('root differs') }
  t.repropose4 = cpu() - s
  t.root = root1![0]!
  return t
}
run()
const rows: Record<string, number>[] = []
for (let i = 0; i < 3; i++) rows.push(run())
const med = (k: string): number => rows.map((r) => r[k]!).sort((a, b) => a - b)[1]!
const perTx = (k: string): string => (med(k) / N).toFixed(0)
console.log(`${root}: ${N} txs x 64 actions, ${K} per chunk; CPU us per tx (median of 3): 3 receivers' checkChunk ${perTx('receive3')}, 4 members' payload ${perTx('payload4')}, 4 members' re-proposal payload ${perTx('repropose4')}`)
