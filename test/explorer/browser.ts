/**
 * A real headless Chromium (Debian's `chromium`) driven by playwright-core, for the
 * explorer tests: a fresh profile per launch, closed at teardown, and a screenshot of the
 * page kept (in a temp folder named in the failure) when a step fails.
 */
import { existsSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type BrowserContext, type Page } from 'playwright-core'
import { tempDir } from '../helpers/node-process.js'

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']

interface Teardown {
  teardown: (fn: () => unknown) => void
}

/** Why the browser tests cannot run here, or null when a chromium binary exists. */
export function chromiumMissing (): string | null {
  return existsSync(CHROMIUM) ? null : `no chromium at ${CHROMIUM} (apt-get install chromium, as .ci/run does; or set CHROMIUM_PATH)`
}

export async function launchBrowser (t: Teardown): Promise<BrowserContext> {
  const profile = await tempDir(t, 'seqnode-chromium-')
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: ARGS, viewport: { width: 1280, height: 900 } })
  t.teardown(() => context.close())
  return context
}

/** Errors the page logged or threw (CSP violations included): a healthy page has none. */
export function collectPageErrors (page: Page): string[] {
  const errors: string[] = []
  page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`))
  page.on('console', (msg) => { if (msg.type() === 'error') errors.push(`console: ${msg.text()}`) })
  return errors
}

/**
 * Runs a step; if it throws, saves a full-page screenshot in a kept temp folder and
 * rethrows with the file's path in the message.
 */
export async function withScreenshot<T> (page: Page, name: string, step: () => Promise<T>): Promise<T> {
  try {
    return await step()
  } catch (err) {
    const dir = mkdtempSync(join(tmpdir(), 'seqnode-explorer-failure-'))
    const file = join(dir, `${name}.png`)
    const saved = await page.screenshot({ path: file, fullPage: true }).then(() => file, (e: Error) => `(screenshot failed: ${e.message})`)
    throw new Error(`${(err as Error).message}\nscreenshot of the page: ${saved}`)
  }
}
