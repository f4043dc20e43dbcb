/**
 * The etcd baseline: a 3-member etcd cluster on 127.0.0.1 (free ports, temp data
 * folders, default fsync) used as an ordered log through the v3 JSON gateway: one
 * `POST /v3/kv/put` per tx, key = tx hash, value = tx bytes (both base64). The put's
 * reply is the commit (raft-replicated to a majority and applied); its
 * `header.revision` is the tx's position in the log. Stopped and removed afterwards.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { createWriteStream } from 'node:fs'
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { onCleanup, trackChild, trackTempDir } from './cleanup.js'
import { freePorts } from './committee.js'
import { rawRequest, keepAliveAgent } from './http.js'

export const ETCD_INSTALL_HINT = 'etcd is not installed: on Debian/Ubuntu `apt-get update && apt-get install -y etcd-server` (3.4), or a release binary from https://github.com/etcd-io/etcd/releases on PATH'

/** `etcd --version` first line, or null when there is no etcd on PATH. */
export function etcdVersion (): string | null {
  const r = spawnSync('etcd', ['--version'], { encoding: 'utf8', timeout: 10_000 })
  if (r.error !== undefined || r.status !== 0) return null
  return (r.stdout.split('\n')[0] ?? '').trim()
}

export interface EtcdCluster {
  clientUrls: string[]
  names: string[]
  version: string
  stop: () => Promise<void>
}

export async function startEtcdCluster (opts: { members: number, logDir: string, keepData: boolean }): Promise<EtcdCluster> {
  const version = etcdVersion()
  if (version === null) throw new Error(ETCD_INSTALL_HINT)
  const dir = await mkdtemp(join(tmpdir(), 'etcd-bench-'))
  const untrack = opts.keepData ? () => {} : trackTempDir(dir)
  await mkdir(opts.logDir, { recursive: true })
  const ports = await freePorts(opts.members * 2)
  const names = Array.from({ length: opts.members }, (_, i) => `etcd-${i}`)
  const clientUrls = names.map((_, i) => `http://127.0.0.1:${ports[2 * i]!}`)
  const peerUrls = names.map((_, i) => `http://127.0.0.1:${ports[2 * i + 1]!}`)
  const initialCluster = names.map((n, i) => `${n}=${peerUrls[i]!}`).join(',')
  const clusterToken = `bench-${process.pid}-${Date.now()}`
  const children: ChildProcess[] = []
  let stopped = false
  const stop = async (): Promise<void> => {
    if (stopped) return
    stopped = true
    await Promise.all(children.map(async (c) => {
      if (c.exitCode !== null || c.signalCode !== null) return
      const exited = new Promise((resolve) => c.once('exit', resolve))
      c.kill('SIGTERM')
      const timer = setTimeout(() => c.kill('SIGKILL'), 5000)
      await exited
      clearTimeout(timer)
    }))
    if (!opts.keepData) {
      await rm(dir, { recursive: true, force: true, maxRetries: 3 })
      untrack()
    }
  }
  const unregister = onCleanup('etcd cluster', stop)
  try {
    for (const [i, name] of names.entries()) {
      const log = createWriteStream(join(opts.logDir, `${name}.log`), { flags: 'a' })
      const child = spawn('etcd', [
        '--name', name,
        '--data-dir', join(dir, name),
        '--listen-client-urls', clientUrls[i]!,
        '--advertise-client-urls', clientUrls[i]!,
        '--listen-peer-urls', peerUrls[i]!,
        '--initial-advertise-peer-urls', peerUrls[i]!,
        '--initial-cluster', initialCluster,
        '--initial-cluster-token', clusterToken,
        '--initial-cluster-state', 'new',
        // 8 GiB: a long run of 400-byte puts stays far below; without compaction etcd keeps every revision
        '--quota-backend-bytes', String(8 * 1024 * 1024 * 1024),
        '--logger', 'zap',
        '--log-level', 'warn'
      ], { stdio: ['ignore', 'pipe', 'pipe'] })
      child.stdout!.pipe(log)
      child.stderr!.pipe(log)
      trackChild(child)
      children.push(child)
    }
    await waitHealthy(clientUrls, 30_000, children)
    return { clientUrls, names, version, stop: async () => { unregister(); await stop() } }
  } catch (err) {
    unregister()
    await stop()
    throw err
  }
}

const healthAgent = keepAliveAgent(4)

async function waitHealthy (urls: string[], timeoutMs: number, children: ChildProcess[]): Promise<void> {
  const deadline = Date.now() + timeoutMs
  let last = ''
  while (Date.now() < deadline) {
    const dead = children.find((c) => c.exitCode !== null || c.signalCode !== null)
    if (dead !== undefined) throw new Error(`an etcd member exited (code ${dead.exitCode}); see its log`)
    const ok = await Promise.all(urls.map(async (u) => {
      try {
        const reply = await rawRequest(healthAgent, `${u}/health`, { signal: AbortSignal.timeout(2000) })
        last = reply.body.toString('utf8')
        return reply.status === 200 && (JSON.parse(last) as { health?: string }).health === 'true'
      } catch {
        return false
      }
    }))
    if (ok.every(Boolean)) return
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
  throw new Error(`etcd cluster not healthy within ${timeoutMs} ms (last: ${last})`)
}
