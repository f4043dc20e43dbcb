/**
 * Starts `seqnode start` as a child process and waits for its API URL. A member that does
 * not start (exit, or no URL within `startTimeoutMs`) is killed before the error is thrown.
 * Members run the compiled CLI (bin/seqnode.js loads dist/; the npm scripts rebuild it
 * first when a source is newer, scripts/build-if-stale.js).
 */
import { spawnSync, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { spawnManaged, type ManagedChild } from './children.js'

const SEQNODE_BIN = fileURLToPath(new URL('../bin/seqnode.js', import.meta.url))
const BUILD_CHECK = fileURLToPath(new URL('../scripts/build-if-stale.js', import.meta.url))
let builtChecked = false

/**
 * bin/seqnode.js runs the compiled dist/: refuse to start it from a build older than the
 * sources, which would run other code than the tree holds (the npm scripts and `npm test`
 * build first; a targeted `npx tap ...` after an edit needs `npm run build`).
 */
export function assertBuilt (): void {
  if (builtChecked) return
  const check = spawnSync(process.execPath, [BUILD_CHECK, '--check'], { encoding: 'utf8' })
  if (check.status !== 0) throw new Error(check.stderr.trim())
  builtChecked = true
}

export interface NodeProcess {
  url: string
  child: ChildProcess
  /** SIGTERM, then SIGKILL after `graceMs` */
  stop: (graceMs?: number) => Promise<void>
}

export interface NodeProcessOptions {
  apiPort?: number
  logLevel?: string
  /** enable the node's /v1/dev routes (isolate, heal) */
  devControl?: boolean
  onLog?: (line: string) => void
  /** how long to wait for "API listening on" (default 20 s) */
  startTimeoutMs?: number
  /** added to the child's environment (e.g. SEQ_CLOCK_OFFSET_MS) */
  env?: Record<string, string>
}

export async function startNodeProcess (configFile: string, opts: NodeProcessOptions = {}): Promise<NodeProcess> {
  assertBuilt()
  const args = [SEQNODE_BIN, 'start', '--config', configFile, '--api-port', String(opts.apiPort ?? 0), '--log-level', opts.logLevel ?? 'warn', ...(opts.devControl === true ? ['--dev-control'] : [])]
  const managed = spawnManaged(process.execPath, args, opts.env !== undefined ? { env: opts.env } : {})
  managed.child.stdout!.on('data', (d: Buffer) => opts.onLog?.(d.toString()))
  const url = await waitForLine(managed, /API listening on (http:\/\/\S+)/, opts.startTimeoutMs ?? 60_000, opts.onLog)
  return { url, child: managed.child, stop: managed.stop }
}

/**
 * Resolves with the first capture of `pattern` on the child's stderr; on exit or timeout
 * the child is stopped (SIGTERM, then SIGKILL) and the promise rejects with its stderr.
 */
export async function waitForLine (managed: ManagedChild, pattern: RegExp, timeoutMs: number, onLog?: (line: string) => void): Promise<string> {
  let stderr = ''
  try {
    return await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${String(pattern)} within ${timeoutMs} ms:\n${stderr}`)), timeoutMs)
      managed.child.stderr!.on('data', (d: Buffer) => {
        stderr += d.toString()
        onLog?.(d.toString())
        const m = pattern.exec(stderr)
        if (m !== null) { clearTimeout(timer); resolve(m[1]!) }
      })
      void managed.exited.then((code) => { clearTimeout(timer); reject(new Error(`exited with code ${code}:\n${stderr}`)) })
    })
  } catch (err) {
    await managed.stop(2000)
    throw err
  }
}
