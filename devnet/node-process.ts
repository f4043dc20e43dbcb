/** Starts `seqnode start` as a child process and waits for its API URL. */
import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const BIN = fileURLToPath(new URL('../bin/seqnode.js', import.meta.url))

export interface NodeProcess {
  url: string
  child: ChildProcess
  /** SIGTERM, then SIGKILL after `graceMs` */
  stop: (graceMs?: number) => Promise<void>
}

export async function startNodeProcess (configFile: string, opts: { apiPort?: number, logLevel?: string, onLog?: (line: string) => void } = {}): Promise<NodeProcess> {
  const child = spawn(process.execPath, [BIN, 'start', '--config', configFile, '--api-port', String(opts.apiPort ?? 0), '--log-level', opts.logLevel ?? 'warn'], {
    stdio: ['ignore', 'pipe', 'pipe']
  })
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  let stderr = ''
  child.stdout!.on('data', (d: Buffer) => opts.onLog?.(d.toString()))
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`node did not start within 20 s:\n${stderr}`)), 20_000)
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString()
      opts.onLog?.(d.toString())
      const m = /API listening on (http:\/\/\S+)/.exec(stderr)
      if (m !== null) { clearTimeout(timer); resolve(m[1]!) }
    })
    void exited.then((code) => { clearTimeout(timer); reject(new Error(`node exited with code ${code}:\n${stderr}`)) })
  })
  return {
    url,
    child,
    stop: async (graceMs = 5000) => {
      if (child.exitCode !== null || child.signalCode !== null) return
      child.kill(graceMs === 0 ? 'SIGKILL' : 'SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
      await exited
      clearTimeout(timer)
    }
  }
}
