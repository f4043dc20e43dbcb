/** Starts `seqnode start` inside a lab namespace and waits until its API listens; stops such children. */
import { spawn, type ChildProcess } from 'node:child_process'
import { createWriteStream } from 'node:fs'
import { fileURLToPath } from 'node:url'

const repoRoot = fileURLToPath(new URL('../', import.meta.url))
const LISTENING = /seqnode: API listening on (http:\/\/\S+)/

export interface SpawnedNode {
  child: ChildProcess
  url: string
  /** the last 64 KiB of its stderr */
  stderr: () => string
}

/** stdout goes to `logFile`; rejects (the child left running for the caller's stop) when it does not listen in time. */
export async function spawnInNamespace (ns: string, configFile: string, logFile: string, opts: { name: string, logLevel: string, timeoutMs: number, onChild?: (child: ChildProcess) => void }): Promise<SpawnedNode> {
  // `ip netns exec` execs the command, so the child's pid is the node's own.
  const child = spawn('ip', ['netns', 'exec', ns, process.execPath, 'bin/seqnode.js', 'start', '--config', configFile, '--log-level', opts.logLevel], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe']
  })
  opts.onChild?.(child)
  child.stdout!.pipe(createWriteStream(logFile))
  let stderr = ''
  child.stderr!.setEncoding('utf8')
  child.stderr!.on('data', (d: string) => { stderr = (stderr + d).slice(-64 * 1024) })
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => { done(); reject(new Error(`${opts.name} in ${ns} did not listen within ${opts.timeoutMs} ms:\n${stderr}`)) }, opts.timeoutMs)
    const onData = (): void => {
      const m = LISTENING.exec(stderr)
      if (m !== null) { done(); resolve(m[1]!) }
    }
    const onExit = (code: number | null, signal: string | null): void => { done(); reject(new Error(`${opts.name} in ${ns} exited (${code ?? signal}) before listening:\n${stderr}`)) }
    const done = (): void => { clearTimeout(timer); child.stderr!.off('data', onData); child.off('exit', onExit) }
    child.stderr!.on('data', onData)
    child.once('exit', onExit)
  })
  return { child, url, stderr: () => stderr }
}

/** SIGTERM each child still running, SIGKILL after `graceMs`; resolves once all exited. */
export async function stopChildren (children: ChildProcess[], graceMs: number): Promise<void> {
  await Promise.all(children.map(async (child) => {
    if (child.exitCode !== null || child.signalCode !== null) return
    const exited = new Promise((resolve) => child.once('exit', resolve))
    child.kill('SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
    await exited
    clearTimeout(timer)
  }))
}
