/**
 * A committee of real transports on 127.0.0.1 (port 0) for the p2p tests: start all, then
 * tell each the others' addresses; everything is stopped in the test's teardown.
 */
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { generateKeyPairFromSeed } from '@libp2p/crypto/keys'
import { tcp } from '@libp2p/tcp'
import { createLibp2p, type Libp2p } from 'libp2p'
import { generateKeyPair, type KeyPair } from '../../src/crypto/index.js'
import {
  createCommitteeTransport, createMemoryP2PMetrics, type CommitteeTransport, type CommitteeTransportOptions,
  type MemoryP2PMetrics
} from '../../src/p2p/index.js'

export const CHAIN_ID = 'p2p-test'

export interface Member {
  index: number
  keys: KeyPair
  transport: CommitteeTransport
  metrics: MemoryP2PMetrics
}

export interface Committee {
  keys: KeyPair[]
  members: Member[]
  /** options for (re)creating member `index` */
  optionsFor: (index: number, overrides?: Partial<CommitteeTransportOptions>) => CommitteeTransportOptions & { metrics: MemoryP2PMetrics }
}

interface Teardown { teardown (fn: () => unknown): void }

/** Transport options for member `index` of a committee of `keys` on 127.0.0.1, with fresh metrics. */
export function memberOptions (keys: KeyPair[], index: number, extra: Partial<CommitteeTransportOptions> = {}): CommitteeTransportOptions & { metrics: MemoryP2PMetrics } {
  return {
    chainId: CHAIN_ID,
    committeeKeys: keys.map((k) => k.publicKey),
    selfIndex: index,
    seed: keys[index]!.seed,
    listen: ['/ip4/127.0.0.1/tcp/0'],
    maxMessageBytes: 256 * 1024,
    chunkTransport: 'direct',
    ...extra,
    metrics: createMemoryP2PMetrics()
  }
}

export async function startCommittee (
  t: Teardown,
  size: number,
  overrides: Partial<CommitteeTransportOptions> | ((index: number) => Partial<CommitteeTransportOptions>) = {}
): Promise<Committee> {
  const keys = Array.from({ length: size }, () => generateKeyPair())
  const optionsFor = (index: number, extra: Partial<CommitteeTransportOptions> = {}): CommitteeTransportOptions & { metrics: MemoryP2PMetrics } =>
    memberOptions(keys, index, { redialMaxMs: 500, ...(typeof overrides === 'function' ? overrides(index) : overrides), ...extra })
  const members: Member[] = []
  for (let index = 0; index < size; index++) {
    const opts = optionsFor(index)
    const transport = await createCommitteeTransport(opts)
    t.teardown(async () => transport.stop())
    members.push({ index, keys: keys[index]!, transport, metrics: opts.metrics })
  }
  await Promise.all(members.map(async (m) => m.transport.start()))
  for (const m of members) m.transport.setPeers(addressesOf(members, m.index))
  await waitFor(() => members.every((m) => m.transport.connectedMembers().length === size - 1), 5000, 'full mesh')
  return { keys, members, optionsFor }
}

export function addressesOf (members: Member[], except: number): Array<{ index: number, addrs: string[] }> {
  return members.filter((m) => m.index !== except).map((m) => ({ index: m.index, addrs: m.transport.listenAddrs }))
}

export async function waitFor (condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await sleep(5)
  }
}

export const sleep = async (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** Lets pending I/O callbacks and microtasks run once: a barrier, not a delay. */
export const nextTurn = async (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

export function bytes (text: string): Uint8Array {
  return new TextEncoder().encode(text)
}

export function text (data: Uint8Array): string {
  return new TextDecoder().decode(data)
}

export function chunkId (n: number): Uint8Array {
  const id = new Uint8Array(32)
  new DataView(id.buffer).setUint32(0, n)
  id[31] = 0xaa
  return id
}

/** A plain libp2p node (TCP, noise, yamux, none of our protocols) with the identity of `seed`: a rogue member. */
export async function plainNode (seed: Uint8Array): Promise<Libp2p> {
  return await createLibp2p({
    privateKey: await generateKeyPairFromSeed('Ed25519', seed),
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()]
  })
}
