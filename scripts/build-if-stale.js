#!/usr/bin/env node
// Compiles src/ to dist/ and bundles the explorer page (`npm run build`) when dist/ is missing or older than a source
// file, so that what runs bin/seqnode.js (tests, devnet, bench, chaos) runs the code in
// the working tree, not a stale build. `--check` builds nothing: it exits 1 with a message
// when dist/ is stale (the test and devnet helpers use it, since several of them may run
// at once and two builds must not write dist/ together). Plain JS: it runs before any build.
import { spawnSync } from 'node:child_process'
import { readdirSync, statSync, utimesSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const stamp = join(root, 'dist/.tsbuildinfo')

function newestMtime (dir) {
  let newest = 0
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    const mtime = entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs
    if (mtime > newest) newest = mtime
  }
  return newest
}

function mtimeOf (path) {
  try { return statSync(path).mtimeMs } catch { return -1 }
}

const inputs = Math.max(newestMtime(join(root, 'src')), mtimeOf(join(root, 'tsconfig.json')), mtimeOf(join(root, 'tsconfig.build.json')))
if (mtimeOf(stamp) < inputs) {
  if (process.argv.includes('--check')) {
    console.error('seqnode: dist/ is missing or older than src/; run `npm run build` (npm test and the npm scripts do it)')
    process.exit(1)
  }
  const tsc = join(root, 'node_modules/typescript/bin/tsc')
  const result = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' })
  if (result.status !== 0) process.exit(result.status ?? 1)
  const page = spawnSync(process.execPath, [join(root, 'scripts/build-explorer.js')], { stdio: 'inherit' })
  if (page.status !== 0) process.exit(page.status ?? 1)
  // tsc leaves the stamp alone when its output did not change (say, a comment was edited)
  const now = new Date()
  utimesSync(stamp, now, now)
}
