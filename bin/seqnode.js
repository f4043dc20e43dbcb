#!/usr/bin/env node
// Loads the Promise.withResolvers polyfill before anything else, then the compiled CLI
// (dist/, built by `npm run build`, which `npm install` runs through `prepare`).
import '../src/polyfills/register.js'

try {
  await import('../dist/node/cli.js')
} catch (err) {
  if (err?.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes('dist/node/cli.js')) {
    console.error('seqnode: dist/ is missing; run `npm run build` (npm install does it through `prepare`)')
    process.exit(1)
  }
  throw err
}
