/**
 * The dev control endpoint on a running devnet: isolating one member (cut off from every
 * other member, both ways) leaves the other three finalising while it stands still; after
 * heal it catches up and holds the same batches. Then SIGTERM stops every process.
 */
import t from 'tap'
import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { pidsOf, running, type StatusLine } from './helpers.js'

const root = fileURLToPath(new URL('../..', import.meta.url))

t.test('isolate one member of a running devnet, heal it, then SIGTERM', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'seq-devnet-iso-'))
  const devnet = spawn(process.execPath, ['--import', './src/polyfills/register.js', '--import', 'tsx', 'devnet/devnet.ts',
    '--data', join(dir, 'data'), '--nodes', '4', '--load', '20', '--json'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], detached: true })
  const exited = new Promise<number | null>((resolve) => devnet.once('exit', (code) => resolve(code)))
  // Its own process group, so a failed run's teardown stops the members too (a SIGKILL of
  // the devnet alone left four members running for the rest of the suite).
  t.teardown(async () => {
    try { process.kill(-devnet.pid!, 'SIGKILL') } catch {}
    await rm(dir, { recursive: true, force: true, maxRetries: 5 })
  })
  const lines: StatusLine[] = []
  let waiters: Array<() => void> = []
  let out = ''
  devnet.stdout.on('data', (d: Buffer) => {
    out += d.toString()
    const parts = out.split('\n')
    out = parts.pop()!
    for (const p of parts) lines.push(JSON.parse(p) as StatusLine)
    for (const w of waiters) w()
    waiters = []
  })
  let stderr = ''
  const controlUrl = new Promise<string>((resolve) => {
    devnet.stderr.on('data', (d: Buffer) => {
      stderr += d.toString()
      const m = /control endpoint (http:\/\/\S+)/.exec(stderr)
      if (m !== null) resolve(m[1]!)
    })
  })
  /** the first status line (after `after` lines) that satisfies `ok`, within `timeoutMs` */
  const waitFor = async (what: string, ok: (s: StatusLine) => boolean, timeoutMs: number, after = lines.length): Promise<StatusLine> => {
    const deadline = Date.now() + timeoutMs
    for (let seen = after; ; ) {
      for (; seen < lines.length; seen++) if (ok(lines[seen]!)) return lines[seen]!
      if (Date.now() > deadline || devnet.exitCode !== null) throw new Error(`timed out waiting for ${what}; stderr: ${stderr.slice(-800)}`)
      await new Promise<void>((resolve) => { waiters.push(resolve); setTimeout(resolve, 500) })
    }
  }
  const post = async (path: string): Promise<{ isolated: boolean, running: boolean }> => {
    const res = await fetch(`${await controlUrl}${path}`, { method: 'POST' })
    t.equal(res.status, 200, `POST ${path}`)
    return await res.json() as { isolated: boolean, running: boolean }
  }
  const heights = (s: StatusLine): number[] => s.nodes.map((n) => n.height)

  const ready = await waitFor('all members final and connected', (s) => s.nodes.every((n) => n.height >= 1 && n.peers === 3), 45_000)
  t.ok(ready, `running: heights ${heights(ready).join(', ')}`)

  t.equal((await post('/nodes/3/isolate')).isolated, true, 'the control endpoint reports node 3 isolated')
  const cut = await waitFor('node 3 shown isolated with no peers', (s) => s.nodes[3]!.isolated && s.nodes[3]!.peers === 0, 10_000)
  const frozenAt = cut.nodes[3]!.height
  const othersAt = Math.min(...heights(cut).slice(0, 3))
  const later = await waitFor('the other three advance', (s) => Math.min(...heights(s).slice(0, 3)) >= othersAt + 3, 30_000)
  t.ok(later.nodes.slice(0, 3).every((n) => n.height >= othersAt + 3), `the other three keep finalising: ${othersAt} -> ${heights(later).slice(0, 3).join(', ')}`)
  t.equal(later.nodes[3]!.height, frozenAt, `the isolated member stands still at ${frozenAt}`)
  t.ok(later.nodes[3]!.isolated, 'the view still shows it isolated')

  t.equal((await post('/nodes/3/heal')).isolated, false, 'healed')
  const target = Math.max(...heights(later))
  const caught = await waitFor('node 3 catches up', (s) => !s.nodes[3]!.isolated && s.nodes[3]!.height >= target && s.nodes[3]!.peers === 3, 30_000)
  t.ok(caught.nodes[3]!.height >= target, `node 3 caught up: ${frozenAt} -> ${caught.nodes[3]!.height} (others were at ${target})`)
  const hashes = await Promise.all(caught.urls.map(async (url) => {
    const block = await (await fetch(`${url}/v1/blocks/${target}`)).json() as { hash?: string }
    return block.hash
  }))
  t.ok(hashes[0] !== undefined, `height ${target} is final`)
  t.same(hashes, [hashes[0], hashes[0], hashes[0], hashes[0]], `all four hold the same batch at height ${target}`)

  const pids = pidsOf(lines)
  devnet.kill('SIGTERM')
  t.equal(await exited, 0, 'SIGTERM: the devnet exits 0')
  t.same(pids.filter(running), [], `no child left running (${pids.join(', ')})`)
})
