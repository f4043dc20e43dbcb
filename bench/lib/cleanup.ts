/**
 * Everything a bench run starts registers here, so it is stopped whatever ends the run:
 * normal completion, an error, Ctrl-C (SIGINT), SIGTERM, or a watchdog. Child processes
 * still alive at `exit` get SIGKILL synchronously (the last resort when the bench itself
 * is dying); temp folders are removed by the async cleanup.
 */
import type { ChildProcess } from 'node:child_process'
import { readdirSync, readFileSync, rmSync } from 'node:fs'

type Cleanup = () => Promise<void>

const cleanups = new Map<number, { label: string, fn: Cleanup }>()
const children = new Set<ChildProcess>()
const tempDirs = new Set<string>()
let nextId = 1
let installed = false
let interrupted = false

/** Registers an async cleanup; returns the function that unregisters it. */
export function onCleanup (label: string, fn: Cleanup): () => void {
  const id = nextId++
  cleanups.set(id, { label, fn })
  return () => { cleanups.delete(id) }
}

export function trackChild (child: ChildProcess): void {
  children.add(child)
  child.once('exit', () => children.delete(child))
}

export function trackTempDir (dir: string): () => void {
  tempDirs.add(dir)
  return () => { tempDirs.delete(dir) }
}

export function wasInterrupted (): boolean {
  return interrupted
}

/** Runs every registered cleanup (newest first), each bounded in time. */
export async function runCleanups (): Promise<void> {
  const list = [...cleanups.entries()].reverse()
  cleanups.clear()
  for (const [, { label, fn }] of list) {
    try {
      await withTimeout(fn(), 15_000, label)
    } catch (err) {
      process.stderr.write(`bench: cleanup of ${label} failed: ${(err as Error).message}\n`)
    }
  }
  killChildrenNow()
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true, maxRetries: 3 })
  tempDirs.clear()
}

function killChildrenNow (): void {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) {
      try { child.kill('SIGKILL') } catch { /* gone already */ }
    }
  }
  // A member that did not come up in time is left running by devnet/node-process.ts (its
  // child handle is never returned): find our own direct children by pid and end them.
  for (const pid of ownChildPids()) {
    try { process.kill(pid, 'SIGKILL') } catch { /* gone already */ }
  }
}

/** Pids whose parent is this process (Linux /proc; empty elsewhere). */
export function ownChildPids (): number[] {
  const out: number[] = []
  let entries: string[]
  try {
    entries = readdirSync('/proc')
  } catch {
    return out
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      // pid (comm) state ppid ...: comm may hold spaces, so split after the last ')'
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      if (Number(fields[1]) === process.pid) out.push(Number(entry))
    } catch {
      // exited meanwhile
    }
  }
  return out
}

export function installSignalHandlers (): void {
  if (installed) return
  installed = true
  const onSignal = (signal: NodeJS.Signals): void => {
    if (interrupted) {
      process.stderr.write(`\nbench: second ${signal}, killing children now\n`)
      killChildrenNow()
      process.exit(130)
    }
    interrupted = true
    process.stderr.write(`\nbench: ${signal}, stopping everything it started...\n`)
    void runCleanups().finally(() => process.exit(130))
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  process.on('exit', () => {
    killChildrenNow()
    for (const dir of tempDirs) {
      try { rmSync(dir, { recursive: true, force: true }) } catch { /* best effort */ }
    }
  })
}

export async function withTimeout<T> (p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  try {
    return await Promise.race([p, new Promise<never>((_resolve, reject) => { timer = setTimeout(() => reject(new Error(`${what}: no result within ${ms} ms`)), ms) })])
  } finally {
    clearTimeout(timer)
  }
}
