/**
 * Starts `seqnode start` as a child process and waits for its API URL. A member that does
 * not start (exit, or no URL within `startTimeoutMs`) is killed before the error is thrown.
 */
import type { ChildProcess } from 'node:child_process'
import { spawnManaged, type ManagedChild } from './children.js'
import { seqnodeEntryArgs } from './node-bundle.js'

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
}

export async function startNodeProcess (configFile: string, opts: NodeProcessOptions = {}): Promise<NodeProcess> {
  const args = [...await seqnodeEntryArgs(), 'start', '--config', configFile, '--api-port', String(opts.apiPort ?? 0), '--log-level', opts.logLevel ?? 'warn', ...(opts.devControl === true ? ['--dev-control'] : [])]
  const managed = spawnManaged(process.execPath, args)
  managed.child.stdout!.on('data', (d: Buffer) => opts.onLog?.(d.toString()))
  const url = await waitForLine(managed, /API listening on (http:\/\/\S+)/, opts.startTimeoutMs ?? 20_000, opts.onLog)
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
