/**
 * A final batch built in-process with the node's own code (node:crypto hashing and
 * signing): a committee of four, a header whose payload holds txs of rollups 1 and 2
 * (one a bundle of both), its certified child from the next round, and the slices the
 * node would serve. Lets verifier tests run without a node.
 */
import { randomBytes } from 'node:crypto'
import { batchHash, buildPayload, buildSlice, nodeNmt } from '../../src/batch/index.js'
import { encode, SliceSchema, type BatchHeader, type CommitProof, type Slice, type Tx } from '../../src/codec/index.js'
import { Ed25519Signer, generateKeyPair } from '../../src/crypto/index.js'
import { signTx } from '../../src/mempool/index.js'
import { txHash } from '../../src/batch/index.js'
import { assembleCertificate, voteMessage } from '../../src/ordering/certificate.js'

export interface Fixture {
  chainId: string
  members: Ed25519Signer[]
  committeeKeys: Uint8Array[]
  header: BatchHeader
  finality: CommitProof
  txs: Tx[]
  /** encoded slices by rollup id (1, 2 with txs; 3 without) */
  sliceBytes: Map<number, Uint8Array>
  /** signs a certificate over `header` with the given members */
  certify: (header: BatchHeader, members: number[]) => CommitProof['certificate']
}

/**
 * `extraTxs` are appended to the batch after the five standard txs (e.g. txs a Byzantine
 * member forged in `sender`'s name).
 */
export function makeFixture (chainId = 'fixture-1', extraTxs?: (sender: Ed25519Signer, expiry: number) => Tx[]): Fixture {
  const members = Array.from({ length: 4 }, () => new Ed25519Signer(generateKeyPair().seed))
  const sender = new Ed25519Signer(generateKeyPair().seed)
  const expiry = Date.now() + 600_000
  const shapes = [[1], [2], [1, 2], [1], [2, 2]]
  const txs = shapes.map((rollups, nonce) => signTx(chainId, {
    actions: rollups.map((rollupId) => ({ rollupId, payload: randomBytes(16 + nonce) })),
    nonce,
    expiry
  }, sender))
  if (extraTxs !== undefined) txs.push(...extraTxs(sender, expiry))
  const payload = buildPayload(txs.map((tx) => ({ tx, hash: txHash(chainId, tx) })))
  const header: BatchHeader = {
    version: 1,
    chainId,
    height: 5,
    round: 7,
    parentHash: randomBytes(32),
    proposer: 7 % 4,
    timestamp: Date.now(),
    payloadRoot: nodeNmt.root(payload.leaves),
    namespaces: payload.namespaces,
    chunkDigests: [],
    txCount: payload.txCount
  }
  const child: BatchHeader = {
    ...header,
    height: 6,
    round: 8,
    parentHash: batchHash(header),
    proposer: 8 % 4,
    payloadRoot: nodeNmt.root([]),
    namespaces: [],
    txCount: 0
  }
  const certify = (h: BatchHeader, signers: number[]): CommitProof['certificate'] => {
    const body = { height: h.height, round: h.round, batchHash: batchHash(h) }
    const message = voteMessage(chainId, body)
    return assembleCertificate(members.length, body, new Map(signers.map((i) => [i, members[i]!.sign(message)])))
  }
  const finality: CommitProof = { version: 1, headers: [child], certificate: certify(child, [0, 1, 3]) }
  const sliceBytes = new Map<number, Uint8Array>()
  for (const rollupId of [1, 2, 3]) {
    const slice: Slice = buildSlice(nodeNmt, header, finality, payload.leaves, rollupId)
    sliceBytes.set(rollupId, encode(SliceSchema, slice))
  }
  return { chainId, members, committeeKeys: members.map((m) => m.publicKey), header, finality, txs, sliceBytes, certify }
}

export interface Chain {
  chainId: string
  committeeKeys: Uint8Array[]
  /** encoded slices by rollup id, index = height */
  slices: Map<number, Uint8Array[]>
}

/**
 * A hash-linked chain of `length` final heights (rounds 1, 2, ...; each made final by the
 * certified next header), with a tx for rollup 1 at every height and one for rollup 2 at
 * every other height.
 */
export function makeChain (length: number, chainId = 'chain-1'): Chain {
  const members = Array.from({ length: 4 }, () => new Ed25519Signer(generateKeyPair().seed))
  const sender = new Ed25519Signer(generateKeyPair().seed)
  const headers: BatchHeader[] = []
  const leavesByHeight: Uint8Array[][] = []
  let parentHash: Uint8Array = new Uint8Array(32)
  for (let height = 0; height <= length; height++) {
    const txs = (height % 2 === 0 ? [[1], [2, 1]] : [[1]]).map((rollups, i) => signTx(chainId, {
      actions: rollups.map((rollupId) => ({ rollupId, payload: randomBytes(8) })),
      nonce: height * 10 + i,
      expiry: Date.now() + 600_000
    }, sender))
    const payload = buildPayload(txs.map((tx) => ({ tx, hash: txHash(chainId, tx) })))
    const header: BatchHeader = {
      version: 1, chainId, height, round: height + 1, parentHash, proposer: (height + 1) % 4, timestamp: Date.now(),
      payloadRoot: nodeNmt.root(payload.leaves), namespaces: payload.namespaces, chunkDigests: [], txCount: payload.txCount
    }
    headers.push(header)
    leavesByHeight.push(payload.leaves)
    parentHash = batchHash(header)
  }
  const slices = new Map<number, Uint8Array[]>([[1, []], [2, []]])
  for (let height = 0; height < length; height++) {
    const child = headers[height + 1]!
    const body = { height: child.height, round: child.round, batchHash: batchHash(child) }
    const message = voteMessage(chainId, body)
    const certificate = assembleCertificate(4, body, new Map([0, 1, 2].map((i) => [i, members[i]!.sign(message)])))
    for (const [rollupId, list] of slices) {
      list.push(encode(SliceSchema, buildSlice(nodeNmt, headers[height]!, { version: 1, headers: [child], certificate }, leavesByHeight[height]!, rollupId)))
    }
  }
  return { chainId, committeeKeys: members.map((m) => m.publicKey), slices }
}
