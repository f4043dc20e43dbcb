/**
 * Starting `seqnode` on a fixed API port, so a client can reconnect to the same URL after
 * the node is killed and restarted on the same data folder. (test/helpers/node-process.ts
 * always asks for a free port, which changes on each start.)
 */
import { spawn } from 'node:child_process'
import type { BuiltTx } from '../../src/client/index.js'
import { assertBuilt, repoRoot } from '../helpers/node-process.js'

interface Teardown {
  teardown: (fn: () => unknown) => void
}

export interface RunningNode {
  url: string
  /** SIGKILL and wait for the exit */
  kill: () => Promise<void>
}

export async function startNodeOnPort (t: Teardown, configFile: string, port: number, timeoutMs = 20_000): Promise<RunningNode> {
  assertBuilt()
  const child = spawn(process.execPath, ['bin/seqnode.js', 'start', '--config', configFile, '--api-port', String(port), '--log-level', 'warn'], {
    cwd: repoRoot,
    stdio: ['ignore', 'ignore', 'pipe']
  })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const kill = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    await exited
  }
  t.teardown(kill)
  let stderr = ''
  child.stderr!.setEncoding('utf8')
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`seqnode did not start within ${timeoutMs} ms:\n${stderr}`)), timeoutMs)
    child.stderr!.on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-16_384)
      if (stderr.includes('API listening on')) { clearTimeout(timer); resolve() }
    })
    child.once('exit', (code, signal) => { clearTimeout(timer); reject(new Error(`seqnode exited (${code ?? signal}) before listening:\n${stderr}`)) })
  })
  return { url: `http://127.0.0.1:${port}`, kill }
}

/**
 * Submits `makeTx(i)` every `everyMs` until `stop()`, keeping the txs the node acknowledged;
 * a failed submit (the node is down or frozen) is not counted: that tx may or may not be
 * ordered. `stop()` resolves with the acknowledged txs once the loop has ended.
 */
export function startLoad (
  submit: (tx: BuiltTx) => Promise<unknown>,
  makeTx: (i: number, payload: Uint8Array) => BuiltTx,
  everyMs: number
): { acked: BuiltTx[], stop: () => Promise<BuiltTx[]> } {
  const acked: BuiltTx[] = []
  let loading = true
  const loop = (async () => {
    for (let i = 0; loading; i++) {
      const tx = makeTx(i, new TextEncoder().encode(`tx-${i}`))
      try {
        await submit(tx)
        acked.push(tx)
      } catch {
        // not acknowledged: not counted
      }
      await new Promise((resolve) => setTimeout(resolve, everyMs))
    }
  })()
  return { acked, stop: async () => { loading = false; await loop; return acked } }
}
