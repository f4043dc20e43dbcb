/** Runs `bench/bench.ts` (as `npm run bench` does) with the given flags; resolves with its exit code and stderr. */
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'

export const root = fileURLToPath(new URL('../..', import.meta.url))

/** `env` is added to this process's environment (e.g. TMPDIR, so temp folders can be told apart from other runs'). */
export async function runBench (flags: string[], timeoutMs: number, env: Record<string, string> = {}): Promise<{ code: number | null, stderr: string }> {
  const args = ['--import', './src/polyfills/register.js', '--import', 'tsx', 'bench/bench.ts', ...flags]
  return await new Promise((resolve) => {
    let stderr = ''
    const child = execFile(process.execPath, args, { cwd: root, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, ...env } }, (err) => {
      resolve({ code: err === null ? 0 : (typeof err.code === 'number' ? err.code : null), stderr })
    })
    child.stderr?.on('data', (d: Buffer) => { stderr += d.toString() })
  })
}
