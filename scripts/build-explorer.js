#!/usr/bin/env node
// Bundles the explorer page (src/explorer/page/main.ts) with the compiled, browser-safe
// SDK (dist/client/, imported as `shared-sequencer-node/sdk`) into dist/explorer/page/,
// next to the fastify plugin that serves it. Runs after tsc (`npm run build`). Fails when
// anything but the page, the compiled SDK and @noble lands in the bundle, so a node-only
// module can never reach the browser. Plain JS: it runs before any build.
import { copyFileSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

const root = fileURLToPath(new URL('..', import.meta.url))
const source = join(root, 'src/explorer/page')
const out = join(root, 'dist/explorer/page')

mkdirSync(out, { recursive: true })
const result = await build({
  entryPoints: [join(source, 'main.ts')],
  outfile: join(out, 'app.js'),
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  minify: true,
  metafile: true,
  legalComments: 'none',
  logLevel: 'warning',
  alias: { 'shared-sequencer-node/sdk': join(root, 'dist/client/index.js') }
})
const allowed = /^(src\/explorer\/page\/|dist\/(client|batch|codec|crypto|ordering)\/|(.*\/)?node_modules\/(@noble|msgpackr)\/)/
const stray = Object.keys(result.metafile.inputs).filter((f) => !allowed.test(f))
if (stray.length > 0) {
  console.error(`build-explorer: unexpected modules in the browser bundle:\n  ${stray.join('\n  ')}`)
  process.exit(1)
}
for (const file of ['index.html', 'style.css']) copyFileSync(join(source, file), join(out, file))
