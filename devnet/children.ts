/**
 * Every process the devnet starts goes through here, so every way out of the devnet
 * (Ctrl-C, SIGTERM, --duration, a failed start, an exception) can stop them all: SIGTERM,
 * then SIGKILL after a grace period. A last synchronous SIGKILL runs on process exit for
 * anything still alive. Only a SIGKILL of the devnet itself cannot be caught.
 */
import { spawn, type ChildProcess } from 'node:child_process'

/** running children and how to stop each */
const live = new Map<ChildProcess, (graceMs: number) => Promise<void>>()

export interface ManagedChild {
  child: ChildProcess
  /** resolves with the exit code (null when killed by a signal) */
  exited: Promise<number | null>
  /** SIGTERM, then SIGKILL after `graceMs` (0 = SIGKILL at once); resolves once it exited */
  stop: (graceMs?: number) => Promise<void>
}

export function spawnManaged (command: string, args: string[], opts: { cwd?: string, env?: Record<string, string> } = {}): ManagedChild {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...(opts.cwd !== undefined ? { cwd: opts.cwd } : {}), ...(opts.env !== undefined ? { env: { ...process.env, ...opts.env } } : {}) })
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => { live.delete(child); resolve(code) })
    // A spawn failure (e.g. ENOENT) emits 'error' and maybe no 'exit'.
    child.once('error', () => { live.delete(child); resolve(null) })
  })
  const stop = async (graceMs = 5000): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null || !live.has(child)) return
    child.kill(graceMs === 0 ? 'SIGKILL' : 'SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
    await exited
    clearTimeout(timer)
  }
  live.set(child, stop)
  return { child, exited, stop }
}

/** Stops every child still running (SIGTERM, SIGKILL after `graceMs`). */
export async function stopAllChildren (graceMs = 5000): Promise<void> {
  await Promise.all([...live.values()].map(async (stop) => stop(graceMs)))
}

/** pids of the children still running */
export function liveChildPids (): number[] {
  return [...live.keys()].map((c) => c.pid).filter((pid): pid is number => pid !== undefined)
}

// The safety net: 'exit' handlers must be synchronous, so this can only SIGKILL.
process.on('exit', () => {
  for (const child of live.keys()) child.kill('SIGKILL')
})
