/**
 * docs/ROLLUP-GUIDE.md's example, examples/rollup-guide/counter-rollup.ts, run as its own
 * process (tsx, importing the SDK by its package name) against a real one-member node:
 * it counts each sender's actions of its rollup only, prints every height once, resumes
 * after the last one it persisted, and refuses slices under a genesis of other keys. The
 * README's quick-start snippet (examples/quick-start/submit-and-follow.ts) runs too.
 */
import t from 'tap'
import { spawn } from 'node:child_process'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { TxSchema, encode } from '../../src/codec/index.js'
import { bytesToHex, Ed25519Signer, generateKeyPair } from '../../src/crypto/index.js'
import { signTx } from '../../src/mempool/index.js'
import { txHash } from '../../src/batch/index.js'
import { getJson, makeNodeHome, repoRoot, startNodeProcess, submitTxBytes, tempDir, waitCommitted } from '../helpers/node-process.js'

const EXAMPLE = 'examples/rollup-guide/counter-rollup.ts'
const QUICK_START = 'examples/quick-start/submit-and-follow.ts'

interface Run { code: number | null, stdout: string, stderr: string }

async function runExample (args: string[], file = EXAMPLE): Promise<Run> {
  const child = spawn(process.execPath, ['--import', 'tsx', file, ...args], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (c: string) => { stdout += c })
  child.stderr.setEncoding('utf8').on('data', (c: string) => { stderr += c })
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000)
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve))
  clearTimeout(timer)
  return { code, stdout, stderr }
}

t.test('the guide\'s counter rollup follows, counts, persists and resumes', async (t) => {
  const home = await makeNodeHome(t, { chainId: 'guide-1' })
  const node = await startNodeProcess(t, home.configFile)
  const dir = await tempDir(t, 'seqnode-guide-')
  const stateFile = join(dir, 'counter.json')
  const alice = new Ed25519Signer(generateKeyPair().seed)
  const bob = new Ed25519Signer(generateKeyPair().seed)
  const nonces = new Map<Ed25519Signer, number>()
  const send = async (signer: Ed25519Signer, rollups: number[]): Promise<void> => {
    const nonce = nonces.get(signer) ?? 0
    nonces.set(signer, nonce + 1)
    const tx = signTx('guide-1', { actions: rollups.map((rollupId) => ({ rollupId, payload: new Uint8Array([nonce]) })), nonce, expiry: Date.now() + 600_000 }, signer)
    t.equal((await submitTxBytes(node.url, encode(TxSchema, tx))).status, 202)
    const { missing } = await waitCommitted(node.url, [bytesToHex(txHash('guide-1', tx))], 20_000)
    t.equal(missing.size, 0)
  }
  const finalHeight = async (): Promise<number> => (await getJson<{ height: number }>(node.url, '/v1/status')).height
  const key = (s: Ed25519Signer): string => bytesToHex(s.publicKey)

  // Rollup 2 (kv) is the counter's; rollup 1 actions must not count. A bundle counts once here.
  await send(alice, [2])
  await send(bob, [1])
  await send(alice, [1, 2])
  await send(bob, [2])
  const first = await finalHeight()
  const run1 = await runExample([node.url, home.genesisFile, '2', stateFile, String(first)])
  t.equal(run1.code, 0, `first run exits 0${run1.code === 0 ? '' : `: ${run1.stderr}`}`)
  const lines1 = run1.stdout.trim().split('\n')
  t.comment(run1.stdout.trim())
  t.same(lines1.map((l) => Number(/^height (\d+) /.exec(l)?.[1])), Array.from({ length: first + 1 }, (_, h) => h), `heights 0..${first}, each once`)
  t.same(JSON.parse(await readFile(stateFile, 'utf8')), { height: first, counts: { [key(alice)]: 2, [key(bob)]: 1 } }, "its state: rollup 2's actions per sender")

  await send(bob, [2])
  await send(bob, [2, 1])
  const second = await finalHeight()
  const run2 = await runExample([node.url, home.genesisFile, '2', stateFile, String(second)])
  t.equal(run2.code, 0)
  t.match(run2.stdout, new RegExp(`^height ${first + 1} `), `the second run resumes at height ${first + 1}`)
  t.equal(run2.stdout.trim().split('\n').length, second - first, 'and prints each later height once')
  t.same(JSON.parse(await readFile(stateFile, 'utf8')), { height: second, counts: { [key(alice)]: 2, [key(bob)]: 3 } }, 'the counts go on from the persisted state')

  const guide = await readFile(join(repoRoot, 'docs/ROLLUP-GUIDE.md'), 'utf8')
  t.ok(guide.includes('```ts\n' + await readFile(join(repoRoot, EXAMPLE), 'utf8') + '```'), 'docs/ROLLUP-GUIDE.md lists the example verbatim')

  // A genesis naming another committee: the first slice is refused, the state is untouched.
  const genesis = JSON.parse(await readFile(home.genesisFile, 'utf8')) as { committee: Array<{ publicKey: string }> }
  genesis.committee[0]!.publicKey = bytesToHex(generateKeyPair().publicKey)
  const otherGenesis = join(dir, 'other-genesis.json')
  await writeFile(otherGenesis, JSON.stringify(genesis))
  const before = await readFile(stateFile, 'utf8')

  await send(alice, [2])
  const refused = await runExample([node.url, otherGenesis, '2', stateFile])
  t.equal(refused.code, 1, 'exit 1 under a genesis of other keys')
  t.match(refused.stderr, new RegExp(`stopped before height ${second + 1}: slice refused: finality: certificate: signature of member 0 does not verify`))
  t.equal(refused.stdout, '', 'nothing executed')
  t.equal(await readFile(stateFile, 'utf8'), before, 'the state file is untouched')

  // The README's quick-start snippet, against the same node.
  const quick = await runExample([node.url, home.genesisFile], QUICK_START)
  t.equal(quick.code, 0, `the quick start runs${quick.code === 0 ? '' : `: ${quick.stderr}`}`)
  t.match(quick.stdout, /^final at height \d+ \(index 0\); rollup 2's slice there holds 1 action\(s\), ours included: true$/m)
  const readme = await readFile(join(repoRoot, 'README.md'), 'utf8')
  t.ok(readme.includes('```ts\n' + await readFile(join(repoRoot, QUICK_START), 'utf8') + '```'), 'README.md lists the quick start verbatim')
})
