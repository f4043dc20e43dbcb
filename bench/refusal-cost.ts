/**
 * CPU a member spends per submission, by outcome (issue #12): a one-member committee with a
 * tiny lane rate, then, for a few seconds each, as many `POST /v1/txs` as 32 keep-alive
 * connections carry: refused from the `x-rollup-id` header (body never read), refused after
 * the decode (no header), and admitted (another member config with no rate). The member's
 * CPU time (from /proc) over the requests it answered; the client runs in this process.
 *
 *   node --import ./src/polyfills/register.js --import tsx bench/refusal-cost.ts [--seconds 4]
 */
import http from 'node:http'
import { readFile, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { spawn } from 'node:child_process'
import { initHome } from '../src/node/init-home.js'
import { parseGenesis } from '../src/node/genesis.js'
import { encode, TxSchema } from '../src/codec/index.js'
import { Ed25519Signer, generateKeyPair } from '../src/crypto/index.js'
import { signTx } from '../src/mempool/index.js'

const seconds = Number(process.argv[process.argv.indexOf('--seconds') + 1] ?? 4) || 4
const CONNECTIONS = 32

async function cpuMs (pid: number): Promise<number> {
  const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]!.split(' ')
  return (Number(fields[11]) + Number(fields[12])) * 10 // utime + stime, in 10 ms ticks
}

async function startMember (laneRate: number): Promise<{ url: string, pid: number, stop: () => Promise<void>, chainId: string, dir: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'refusal-cost-'))
  const init = await initHome({ dir, chainId: 'refusal-cost', nodes: 1, rollups: ['token', 'kv'], basePort: 0 })
  const config = JSON.parse(await readFile(init.nodes[0]!.configFile, 'utf8')) as Record<string, unknown>
  config.mempool = { laneRateTxPerSec: laneRate, maxTxs: 1_000_000 }
  const { writeFile } = await import('node:fs/promises')
  await writeFile(init.nodes[0]!.configFile, JSON.stringify(config))
  const genesis = parseGenesis(JSON.parse(await readFile(init.genesisFile, 'utf8')))
  const child = spawn(process.execPath, ['bin/seqnode.js', 'start', '--config', init.nodes[0]!.configFile, '--api-port', '0', '--log-level', 'warn'], { stdio: ['ignore', 'ignore', 'pipe'] })
  let err = ''
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr!.on('data', (d: Buffer) => { err += d.toString(); const m = /API listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(err); if (m !== null) resolve(m[1]!) })
    child.once('exit', () => reject(new Error(`member exited: ${err}`)))
  })
  return { url, pid: child.pid!, chainId: genesis.chainId, dir, stop: async () => { child.kill('SIGTERM'); await new Promise((r) => child.once('exit', r)); await rm(dir, { recursive: true, force: true }) } }
}

async function drive (url: string, txs: () => Uint8Array, header: boolean): Promise<{ answered: number, byStatus: Record<number, number> }> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONNECTIONS })
  const deadline = performance.now() + seconds * 1000
  const byStatus: Record<number, number> = {}
  let answered = 0
  const post = (body: Uint8Array): Promise<number> => new Promise((resolve, reject) => {
    const req = http.request(`${url}/v1/txs`, { method: 'POST', agent, headers: { 'content-type': 'application/octet-stream', 'content-length': body.length, ...(header ? { 'x-rollup-id': '1' } : {}) } }, (res) => { res.resume(); res.once('end', () => resolve(res.statusCode ?? 0)) })
    req.once('error', reject)
    req.end(body)
  })
  await Promise.all(Array.from({ length: CONNECTIONS }, async () => {
    while (performance.now() < deadline) {
      const status = await post(txs())
      byStatus[status] = (byStatus[status] ?? 0) + 1
      answered++
    }
  }))
  agent.destroy()
  return { answered, byStatus }
}

const signer = new Ed25519Signer(generateKeyPair().seed)
let nonce = 0
const cases: Array<{ name: string, laneRate: number, header: boolean }> = [
  { name: 'refused from the header (body not read)', laneRate: 0.001, header: true },
  { name: 'refused after the decode (no header)', laneRate: 0.001, header: false },
  { name: 'admitted (no lane rate)', laneRate: 0, header: true }
]
for (const c of cases) {
  const member = await startMember(c.laneRate)
  const tx = (): Uint8Array => encode(TxSchema, signTx(member.chainId, { actions: [{ rollupId: 1, payload: new Uint8Array(256).fill(nonce & 255) }], nonce: nonce++, expiry: Date.now() + 60_000 }, signer))
  await new Promise((resolve) => setTimeout(resolve, 1500)) // let start-up work settle
  const before = await cpuMs(member.pid)
  const clientBefore = process.cpuUsage()
  const { answered, byStatus } = await drive(member.url, tx, c.header)
  const memberMs = await cpuMs(member.pid) - before
  const client = process.cpuUsage(clientBefore)
  console.log(`${c.name}: ${answered} answered in ${seconds} s ${JSON.stringify(byStatus)}; member CPU ${(memberMs * 1000 / answered).toFixed(0)} us/request; client CPU (incl. signing) ${((client.user + client.system) / answered).toFixed(0)} us/request`)
  await member.stop()
}
