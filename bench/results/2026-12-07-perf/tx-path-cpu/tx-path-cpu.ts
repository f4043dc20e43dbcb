/**
 * CPU per tx of the per-tx code a 4-member committee runs (in one process, no HTTP, libp2p
 * or level): ingress admission (decode, hash, verify), chunk packing and signing (K txs a
 * chunk), the 3 receivers' checkChunk, payload + NMT on 4 members, and the 4 members'
 * slice leaves + sender-proof checks (with the new code, the ingress member's rollups skip
 * the verify of its own txs). Usage: node --import tsx tx-path-cpu.ts <src root> [K] [N]
 */
const root = process.argv[2]!
const K = Number(process.argv[3] ?? 6)
const N = Number(process.argv[4] ?? 3000)
const codec = await import(`${root}/codec/index.js`)
const crypto = await import(`${root}/crypto/index.js`)
const batch = await import(`${root}/batch/index.js`)
const mempool = await import(`${root}/mempool/index.js`)
const payloadMod = await import(`${root}/ordering/block-payload.js`)
const CHAIN = 'bench-chain'
const signer = new crypto.Ed25519Signer(crypto.generateKeyPair().seed)
const member = new crypto.Ed25519Signer(crypto.generateKeyPair().seed)
const txBytes: Uint8Array[] = []
for (let i = 0; i < N; i++) {
  const payload = new Uint8Array(256); for (let j = 0; j < 256; j++) payload[j] = (i * 31 + j) & 0xff
  txBytes.push(codec.encode(codec.TxSchema, mempool.signTx(CHAIN, { actions: [{ rollupId: 1 + (i & 1), payload }], nonce: i, expiry: Date.now() + 600_000 }, signer)))
}
const rules = { chainId: CHAIN, committeeKeys: [member.publicKey], rollupIds: new Set([1, 2]), maxActionsPerTx: 64, maxPayloadBytes: 4096, maxTxsPerChunk: 4096 }
const cpu = (): number => { const u = process.cpuUsage(); return u.user + u.system }
const verifiedOwn = new Set<string>()
function run (): Record<string, number> {
  const t: Record<string, number> = {}
  let s = cpu()
  const txs: any[] = []
  for (const b of txBytes) { // ingress admission, once per tx
    const tx = codec.decode(codec.TxSchema, b)
    const message = mempool.txSigningMessage(CHAIN, tx)
    const hash = crypto.sha256(message)
    if (!crypto.verifyEd25519(tx.sender, message, tx.signature)) throw new Error('bad')
    verifiedOwn.add(crypto.bytesToHex(hash))
    txs.push(tx)
  }
  t.admission = cpu() - s; s = cpu()
  const chunks: Uint8Array[] = []
  for (let i = 0; i < txs.length; i += K) { // the ingress packs and signs
    const body = { version: 1, origin: 0, seq: i, lane: 1, txs: txs.slice(i, i + K) }
    const signature = member.sign(batch.chunkSigningMessage(CHAIN, body))
    chunks.push(codec.encode(codec.ChunkSchema, { ...body, signature }))
  }
  t.pack = cpu() - s; s = cpu()
  let checked: any[] = []
  for (let r = 0; r < 3; r++) { // three receivers
    checked = chunks.map((c) => { const x = payloadMod.checkChunk(rules, c, 1 << 24); if (!x.ok) throw new Error(x.code); return x })
  }
  t.chunkReceive3 = cpu() - s; s = cpu()
  let p: any
  for (let m = 0; m < 4; m++) { // every member computes the payload
    p = payloadMod.computePayload(checked.map((c) => c.chunk), checked.map((c) => crypto.bytesToHex(c.digest)), (i: number) => checked[i].hashes, Date.now(), () => false)
  }
  t.payload4 = cpu() - s; s = cpu()
  for (let m = 0; m < 4; m++) { // every member's rollups read their slices and check senders
    for (const rollupId of [1, 2]) {
      const leaves = p.leaves.filter((l: Uint8Array) => l[7] === rollupId).map((l: Uint8Array) => codec.decode(codec.SliceLeafSchema, l.subarray(8)))
      const deps: any = { sha256: crypto.sha256, verifySignature: crypto.verifyEd25519 }
      if (m === 0) deps.verifiedBefore = (h: string) => verifiedOwn.has(h) // ignored by the old code
      const split = batch.splitBySenderProof(CHAIN, rollupId, leaves, deps)
      if (split.skipped.length > 0) throw new Error('skipped')
    }
  }
  t.slices4 = cpu() - s
  return t
}
run() // warm up
const rounds: Array<Record<string, number>> = []
for (let i = 0; i < 5; i++) rounds.push(run())
const keys = Object.keys(rounds[0]!)
const median = (xs: number[]): number => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const out: Record<string, number> = {}
let total = 0
for (const k of keys) { out[k] = median(rounds.map((r) => r[k]!)) / N; total += out[k]! }
out.total = total
console.log(JSON.stringify({ root, K, N, us_per_tx: Object.fromEntries(Object.entries(out).map(([k, v]) => [k, Math.round(v * 10) / 10])) }))
