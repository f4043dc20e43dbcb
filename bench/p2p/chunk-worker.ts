/**
 * One committee member for bench/p2p/chunk-throughput.ts, driven over the fork IPC channel:
 * init -> peers -> (ping | run)* -> exit. Publishes 32 KiB chunks as fast as publishChunk's
 * backpressure allows and counts what it receives within the run window.
 */
import { performance } from 'node:perf_hooks'
import { hexToBytes } from '../../src/crypto/index.js'
import { createCommitteeTransport, createMemoryP2PMetrics, type CommitteeTransport } from '../../src/p2p/index.js'

export type WorkerCommand =
  | { cmd: 'init', index: number, committeeKeys: string[], seed: string, mode: 'direct' | 'gossipsub' }
  | { cmd: 'peers', peers: Array<{ index: number, addrs: string[] }> }
  | { cmd: 'ping', to: number, count: number }
  | { cmd: 'run', run: number, startAt: number, durationMs: number, graceMs: number, chunkBytes: number, pingTo: number | null, ratePerSec: number | null }
  | { cmd: 'exit' }

export type WorkerReply =
  | { reply: 'init', listenAddrs: string[] }
  | { reply: 'ready' }
  | { reply: 'ping', rttMs: number[] }
  | { reply: 'run', published: number, receivedInWindow: number, receivedTotal: number, rttMs: number[], dropped: number, rssMb: number }

const PING = 1
const PONG = 2
const PROBE_RUN = 255

let transport: CommitteeTransport | undefined
let selfIndex = -1
const metrics = createMemoryP2PMetrics()
/** chunk receipts: run number -> timestamps (ms, Date.now()) */
const received = new Map<number, number[]>()
const probesFrom = new Set<number>()
const pongWaiters = new Map<number, (t: number) => void>()

function reply (message: WorkerReply): void {
  process.send!(message)
}

function chunkIdFor (run: number, seq: number): Uint8Array {
  const id = new Uint8Array(32)
  const view = new DataView(id.buffer)
  view.setUint8(0, run)
  view.setUint8(1, selfIndex)
  view.setUint32(2, seq)
  return id
}

async function ping (to: number, seq: number): Promise<number> {
  const message = new Uint8Array(200)
  message[0] = PING
  new DataView(message.buffer).setUint32(1, seq)
  const start = performance.now()
  const done = new Promise<number>((resolve) => { pongWaiters.set(seq, resolve) })
  transport!.send(to, message)
  const timeout = new Promise<number>((resolve) => setTimeout(() => { resolve(Number.NaN) }, 2000))
  const at = await Promise.race([done, timeout])
  pongWaiters.delete(seq)
  return at - start
}

let pingSeq = 0
let probing = false

async function handle (command: WorkerCommand): Promise<void> {
  if (command.cmd !== 'peers') probing = false
  switch (command.cmd) {
    case 'init': {
      selfIndex = command.index
      transport = await createCommitteeTransport({
        chainId: 'bench',
        committeeKeys: command.committeeKeys.map((key) => hexToBytes(key)!),
        selfIndex,
        seed: hexToBytes(command.seed)!,
        listen: ['/ip4/127.0.0.1/tcp/0'],
        maxMessageBytes: 1024 * 1024,
        chunkTransport: command.mode,
        metrics
      })
      transport.onMessage((from, bytes) => {
        if (bytes[0] === PING) {
          const pong = new Uint8Array(bytes)
          pong[0] = PONG
          transport!.send(from, pong)
        } else if (bytes[0] === PONG) {
          pongWaiters.get(new DataView(bytes.buffer, bytes.byteOffset).getUint32(1))?.(performance.now())
        }
      })
      transport.onChunk((from, _bytes, id) => {
        const run = id[0]!
        if (run === PROBE_RUN) probesFrom.add(from)
        else {
          let list = received.get(run)
          if (list === undefined) received.set(run, list = [])
          list.push(Date.now())
        }
        return 'accept'
      })
      await transport.start()
      reply({ reply: 'init', listenAddrs: transport.listenAddrs })
      return
    }
    case 'peers': {
      transport!.setPeers(command.peers)
      while (transport!.connectedMembers().length < command.peers.length) await sleep(10)
      // gossipsub publishes only to peers known to be subscribed: probe until we have heard
      // from everyone, and keep probing (for the others) until the next command.
      probing = true
      void (async () => {
        let seq = 0
        while (probing) {
          await transport!.publishChunk(new Uint8Array(16), chunkIdFor(PROBE_RUN, seq++))
          await sleep(20)
        }
      })()
      while (probesFrom.size < command.peers.length) await sleep(10)
      reply({ reply: 'ready' })
      return
    }
    case 'ping': {
      const rttMs: number[] = []
      for (let i = 0; i < command.count; i++) rttMs.push(await ping(command.to, pingSeq++))
      reply({ reply: 'ping', rttMs })
      return
    }
    case 'run': {
      const payload = new Uint8Array(command.chunkBytes).map((_, i) => (i * 7 + selfIndex) & 0xff)
      await sleep(command.startAt - Date.now())
      const end = command.startAt + command.durationMs
      const rttMs: number[] = []
      let pinging = command.pingTo !== null
      const pinger = (async () => {
        while (pinging) {
          rttMs.push(await ping(command.pingTo!, pingSeq++))
          await sleep(20)
        }
      })()
      const droppedBefore = metrics.dropped.get({ kind: 'chunk' })
      let published = 0
      while (Date.now() < end) {
        await transport!.publishChunk(payload, chunkIdFor(command.run, published))
        published++
        if (command.ratePerSec !== null) {
          await sleep(command.startAt + published * 1000 / command.ratePerSec - Date.now())
        } else {
          // A real producer makes chunks from I/O events; give them (and inbound chunks) a turn.
          await new Promise((resolve) => setImmediate(resolve))
        }
      }
      pinging = false
      await pinger
      // Count late arrivals too: wait until nothing new came for graceMs (at most 15 s).
      const giveUpAt = Date.now() + 15_000
      let last = -1
      while (Date.now() < giveUpAt && (received.get(command.run)?.length ?? 0) !== last) {
        last = received.get(command.run)?.length ?? 0
        await sleep(command.graceMs)
      }
      const times = received.get(command.run) ?? []
      reply({
        reply: 'run',
        published,
        receivedInWindow: times.filter((t) => t >= command.startAt && t < end).length,
        receivedTotal: times.length,
        rttMs,
        dropped: metrics.dropped.get({ kind: 'chunk' }) - droppedBefore,
        rssMb: Math.round(process.memoryUsage().rss / 1e6)
      })
      return
    }
    case 'exit':
      await transport?.stop()
      process.exit(0)
  }
}

async function sleep (ms: number): Promise<void> {
  if (ms > 0) await new Promise((resolve) => setTimeout(resolve, ms))
}

process.on('message', (command: WorkerCommand) => {
  handle(command).catch((err: unknown) => {
    console.error(`worker ${selfIndex}:`, err)
    process.exit(1)
  })
})
