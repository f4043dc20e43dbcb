/**
 * The external toy rollup (`npm run rollup`, devnet/rollup.ts) as a devnet child: follows
 * the token rollup over one member's public API from its own data folder, and reports each
 * executed height and state root (its --json lines) to the devnet.
 */
import { fileURLToPath } from 'node:url'
import { spawnManaged, type ManagedChild } from './children.js'

const ROOT = fileURLToPath(new URL('..', import.meta.url))

export interface ExternalRollupView {
  pid: number | null
  rollupId: number
  /** last executed height (-1 before any), null until it opened its state */
  height: number | null
  stateRoot: string | null
  running: boolean
  /** the error line it stopped on, if any */
  failed: string | null
}

export class ExternalRollup {
  readonly view: ExternalRollupView
  readonly #managed: ManagedChild

  constructor (opts: { nodeUrl: string, home: string, dataDir: string, rollupId: number, onHeight: (height: number, stateRoot: string) => void }) {
    this.#managed = spawnManaged(process.execPath, [
      '--import', './src/polyfills/register.js', '--import', 'tsx', 'devnet/rollup.ts',
      '--node', opts.nodeUrl, '--home', opts.home, '--rollup', String(opts.rollupId), '--data', opts.dataDir, '--json'
    ], { cwd: ROOT })
    this.view = { pid: this.#managed.child.pid ?? null, rollupId: opts.rollupId, height: null, stateRoot: null, running: true, failed: null }
    let buffered = ''
    this.#managed.child.stdout!.on('data', (d: Buffer) => {
      buffered += d.toString()
      const lines = buffered.split('\n')
      buffered = lines.pop()!
      for (const line of lines) this.#onLine(line, opts.onHeight)
    })
    let stderr = ''
    this.#managed.child.stderr!.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-2000) })
    void this.#managed.exited.then((code) => {
      this.view.running = false
      if (code !== 0 && this.view.failed === null) this.view.failed = `exited with code ${code}: ${stderr.trim().split('\n').pop() ?? ''}`
    })
  }

  #onLine (line: string, onHeight: (height: number, stateRoot: string) => void): void {
    let event: { event?: string, height?: number, stateRoot?: string, message?: string }
    try {
      event = JSON.parse(line) as typeof event
    } catch {
      return
    }
    if ((event.event === 'open' || event.event === 'height') && typeof event.height === 'number' && typeof event.stateRoot === 'string') {
      this.view.height = event.height
      this.view.stateRoot = event.stateRoot
      onHeight(event.height, event.stateRoot)
    }
    if (event.event === 'failed') this.view.failed = event.message ?? 'failed'
  }

  async stop (): Promise<void> {
    await this.#managed.stop()
  }
}
