/**
 * Serves the explorer page (src/explorer/page/, bundled by scripts/build-explorer.js into
 * dist/explorer/page/) at `/` of the node's API: the HTML at `/`, its script and style
 * under `/explorer/`. The page reads the node's public read routes from the same origin
 * and verifies every slice it shows with the SDK in the browser.
 */
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { FastifyInstance, FastifyReply } from 'fastify'

interface Asset {
  path: string
  file: string
  type: string
}

const ASSETS: Asset[] = [
  { path: '/', file: 'index.html', type: 'text/html; charset=utf-8' },
  { path: '/explorer/app.js', file: 'app.js', type: 'text/javascript; charset=utf-8' },
  { path: '/explorer/style.css', file: 'style.css', type: 'text/css; charset=utf-8' }
]

/** Only our own script, style and same-origin reads: the page shows data a node hands it. */
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

export const EXPLORER_NOT_BUILT = 'EXPLORER_NOT_BUILT'

/**
 * The bundle lives next to the compiled plugin (dist/explorer/page/); run from src/ (tsx),
 * this module finds the one in dist/.
 */
export function explorerAssetsDir (): string {
  const here = fileURLToPath(new URL('.', import.meta.url))
  const fromSrc = /[\\/]src[\\/]explorer[\\/]$/.test(here)
  return fileURLToPath(new URL(fromSrc ? '../../dist/explorer/page/' : './page/', import.meta.url))
}

function readAssets (dir: string): Map<string, Buffer> | string {
  const files = new Map<string, Buffer>()
  for (const asset of ASSETS) {
    try {
      files.set(asset.path, readFileSync(dir + asset.file))
    } catch (err) {
      return `explorer page not built (${(err as Error).message}); run \`npm run build\``
    }
  }
  return files
}

/** Registers `GET /`, `/explorer/app.js` and `/explorer/style.css`; the files are read once, here. */
export function registerExplorer (app: FastifyInstance, opts: { assetsDir?: string } = {}): void {
  const files = readAssets(opts.assetsDir ?? explorerAssetsDir())
  for (const asset of ASSETS) {
    app.get(asset.path, async (_request, reply: FastifyReply) => {
      if (typeof files === 'string') {
        return await reply.code(503).type('application/json').send({ error: { code: EXPLORER_NOT_BUILT, message: files } })
      }
      return await reply
        .type(asset.type)
        .header('content-security-policy', CSP)
        .header('x-content-type-options', 'nosniff')
        .header('cache-control', 'no-cache')
        .send(files.get(asset.path))
    })
  }
}
