/**
 * Members started by the devnet (and the chaos runner) run from one esbuild bundle of the CLI
 * instead of through tsx: tsx compiles every module in each process at start, which made
 * 4 members take most of the devnet's first 10 s on 2 cores. The bundle is built once per
 * devnet process (well under a second) next to node_modules, so the packages it leaves
 * external resolve as usual. `SEQNODE_NO_BUNDLE=1` runs members through tsx instead.
 */
import { build } from 'esbuild'
import { rmSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { join } from 'node:path'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const POLYFILL = join(ROOT, 'src/polyfills/register.js')
const TSX_BIN = join(ROOT, 'bin/seqnode.js')

let bundle: Promise<string> | null = null

/** The node arguments that run `seqnode` (before its own arguments). */
export async function seqnodeEntryArgs (): Promise<string[]> {
  if (process.env.SEQNODE_NO_BUNDLE === '1') return [TSX_BIN]
  bundle ??= buildBundle()
  return ['--enable-source-maps', '--import', POLYFILL, await bundle]
}

async function buildBundle (): Promise<string> {
  const dir = join(ROOT, 'node_modules/.cache/seqnode')
  await mkdir(dir, { recursive: true })
  const outfile = join(dir, `seqnode-${process.pid}-${Date.now().toString(36)}.mjs`)
  await build({
    entryPoints: [join(ROOT, 'src/node/cli.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    sourcemap: 'inline',
    outfile,
    logLevel: 'warning'
  })
  process.once('exit', () => rmSync(outfile, { force: true }))
  return outfile
}
