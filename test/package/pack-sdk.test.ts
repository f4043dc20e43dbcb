/**
 * The SDK as a package: `npm pack` of this repository, installed into a scratch project
 * (from npm's local cache), then `import ... from '<name>/sdk'` in plain Node and its .d.ts
 * types under tsc. The tx the packaged SDK builds is checked with the node's own verifyTx.
 */
import t, { type Test } from 'tap'
import { spawnSync } from 'node:child_process'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { decode, TxSchema } from '../../src/codec/index.js'
import { hexToBytes } from '../../src/crypto/index.js'
import { verifyTx } from '../../src/mempool/index.js'
import { assertBuilt, repoRoot, tempDir } from '../helpers/node-process.js'

function run (t: Test, cmd: string, args: string[], cwd: string): string {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout: 120_000 })
  t.equal(r.status, 0, `${cmd} ${args.join(' ')} exits 0${r.status === 0 ? '' : `: ${r.stdout.slice(-2000)} ${r.stderr.slice(-2000)}`}`)
  return r.stdout
}

const CONSUMER = `import { buildTx, generateSigningKey, bytesToHex } from '%NAME%/sdk'
const built = buildTx({ chainId: 'pack-1', actions: [{ rollupId: 1, payload: new TextEncoder().encode('hi') }], signer: generateSigningKey() })
const hash: string = built.hash
console.log(JSON.stringify({ hash, bytes: bytesToHex(built.bytes) }))
`

t.test('npm pack, install into a scratch project, import <name>/sdk with its types', async (t) => {
  assertBuilt() // the tarball takes dist/ as it is; --ignore-scripts skips the rebuild in prepare
  const { name } = JSON.parse(await readFile(join(repoRoot, 'package.json'), 'utf8')) as { name: string }
  const dir = await tempDir(t, 'seqnode-pack-')
  const packed = JSON.parse(run(t, 'npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], repoRoot)) as Array<{ filename: string, files: Array<{ path: string }> }>
  const files = packed[0]!.files.map((f) => f.path)
  t.ok(files.includes('dist/client/index.d.ts') && files.includes('dist/client/index.js'), 'the tarball holds the SDK and its types')
  t.notOk(files.some((f) => f.startsWith('src/') && !f.startsWith('src/polyfills/')), 'and no TypeScript sources')

  const project = join(dir, 'consumer')
  await writeFile(join(dir, 'package.json'), '{}') // stops npm from walking up to another project
  spawnSync('mkdir', [project])
  await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module', dependencies: { [name]: `file:../${packed[0]!.filename}` } }))
  run(t, 'npm', ['install', '--prefer-offline', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'], project)

  await writeFile(join(project, 'consumer.ts'), CONSUMER.replace('%NAME%', name))
  const tsc = join(repoRoot, 'node_modules/typescript/bin/tsc')
  run(t, process.execPath, [tsc, '--strict', '--noEmit', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--skipLibCheck', 'consumer.ts'], project)

  await writeFile(join(project, 'consumer.mjs'), CONSUMER.replace('%NAME%', name).replace('const hash: string', 'const hash'))
  const out = JSON.parse(run(t, process.execPath, ['consumer.mjs'], project)) as { hash: string, bytes: string }
  const bytes = hexToBytes(out.bytes)
  if (bytes === null) throw new Error(`not hex: ${out.bytes}`)
  const tx = decode(TxSchema, bytes)
  const verified = verifyTx('pack-1', tx)
  t.ok(verified !== null, "the node's verifyTx accepts the packaged SDK's tx")
  t.equal(verified === null ? null : Buffer.from(verified).toString('hex'), out.hash, 'with the hash the SDK reported')
})
