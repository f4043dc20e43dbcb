/** Runs `chaos/chaos.ts` as `npm run chaos` does, in a temp folder; the test's teardown stops it. */
import { spawn } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { CampaignResult } from '../../chaos/campaign.js'
import { repoRoot, tempDir, type Teardown } from '../helpers/node-process.js'

export async function runChaos (t: Teardown, args: string[]): Promise<{ code: number | null, output: string, out: string, result: CampaignResult | null }> {
  const out = await tempDir(t, 'seqnode-chaos-')
  const child = spawn(process.execPath, ['--import', './src/polyfills/register.js', '--import', 'tsx', 'chaos/chaos.ts', ...args, '--out', out], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let output = ''
  child.stdout.on('data', (d: Buffer) => { output += d.toString() })
  child.stderr.on('data', (d: Buffer) => { output += d.toString() })
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  // The runner kills its members on SIGTERM; SIGKILL only if it does not go.
  t.teardown(async () => {
    if (child.exitCode !== null || child.signalCode !== null) return
    child.kill('SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
    await exited
    clearTimeout(timer)
  })
  const code = await exited
  let result: CampaignResult | null = null
  try {
    result = JSON.parse(await readFile(join(out, 'chaos-result.json'), 'utf8')) as CampaignResult
  } catch { /* the runner failed before writing it: the caller reports the output */ }
  return { code, output, out, result }
}
