/**
 * Explicit cases of the strict decoder: each input differs from a valid encoding in one
 * way, and each case asserts the exact CodecErrorCode (and, where it helps, the path).
 *
 * Documented outcomes of the less obvious cases (they follow from msgpack.ts/schema.ts):
 * - trailing bytes: CODEC_MALFORMED. decode() reads one value and refuses any bytes after it
 *   ("trailing bytes after the value") before the re-encode comparison, which would otherwise
 *   say NON_CANONICAL.
 * - another spelling of a valid integer (uint8 for a fixint, uint64 or float64 for a value
 *   the encoder writes as int64, ...): CODEC_NON_CANONICAL, from the re-encode comparison.
 * - integers >= 2^53, negative integers, non-integral floats: CODEC_WRONG_SHAPE.
 * - the version as a float 1.0 or uint8 1 is a non-canonical 1 (NON_CANONICAL); any other
 *   value there, of any type, is CODEC_UNSUPPORTED_VERSION.
 * - maps, every extension type and the never-used byte 0xc1 are refused by the pre-scan
 *   (src/codec/prescan.ts) before msgpackr builds anything: CODEC_WRONG_SHAPE, without a
 *   schema path (the pre-scan does not know the schema).
 */
import t from 'tap'
import { Packr } from 'msgpackr'
import {
  CodecError, CodecErrorCode, decode, encode, MAX_MESSAGE_BYTES, FormatLimits,
  ActionSchema, BatchHeaderSchema, BatchSchema, BlockResponseSchema, CertificateSchema, ChunkRequestSchema, ChunkSchema,
  CommitProofSchema, ConsensusEnvelopeSchema, NamespaceProofSchema, ProposalSchema, SliceSchema, SyncItemSchema,
  SyncResponseSchema, TimeoutCertificateSchema, TimeoutSchema, TxSchema, VoteBodySchema, VoteSchema, type Schema
} from '../../src/codec/index.js'
import { rejectsWithCode, throwsWithCode, type AssertTarget } from '../helpers/assert-error.js'
import {
  EXAMPLES, action, batch, certificate, chunk, filled, header, proof, proposal, slice, syncResponse, timeout, tx, vote, voteBody
} from './fixtures.js'

const { MALFORMED, TOO_LARGE, WRONG_SHAPE, UNSUPPORTED_VERSION, NON_CANONICAL } = CodecErrorCode

/** A plain msgpackr packer, to write what our encoder never would. */
const rawPackr = new Packr({ useRecords: false, moreTypes: false, mapsAsObjects: false })
const raw = (value: unknown): Uint8Array => rawPackr.pack(value)

/** The tuple our encoder would pack for a value (a fresh array each time, safe to edit). */
function tupleOf<T> (schema: Schema<T>, value: T): any[] {
  return schema.prepare(value) as any[]
}

function hex (...parts: string[]): Buffer {
  return Buffer.from(parts.join('').replace(/\s+/g, ''), 'hex')
}

/** VoteBody {version 1, height, round, batchHash 0x44*32} with the given msgpack spellings. */
const HASH44 = `c420${'44'.repeat(32)}`
function voteBodyHex (height: string, round = '00', version = '01', hash = HASH44): Buffer {
  return hex('94', version, height, round, hash)
}

function rejects (t: AssertTarget, schema: Schema<unknown>, bytes: Uint8Array, code: CodecErrorCode, what: string, path?: string): void {
  const err = throwsWithCode(t, () => decode(schema, bytes), code, what)
  if ((err as { code?: unknown } | undefined)?.code !== code) return // throwsWithCode recorded the failure
  if (!(err instanceof CodecError)) {
    t.fail(`${what}: the error is not a CodecError`, { error: String(err) })
  } else if (path !== undefined && err.path !== path) {
    t.fail(`${what}: error path is ${JSON.stringify(err.path)}, expected ${JSON.stringify(path)}`, { message: err.message })
  }
}

t.test('the error helper fails when the code differs or nothing is thrown', async (t) => {
  const calls: string[] = []
  const fake: AssertTarget = {
    pass: (m) => { calls.push(`pass ${m}`); return true },
    fail: (m) => { calls.push(`fail ${m}`); return false }
  }
  throwsWithCode(fake, () => decode(VoteBodySchema, new Uint8Array(0)), MALFORMED, 'a')
  throwsWithCode(fake, () => decode(VoteBodySchema, new Uint8Array(0)), WRONG_SHAPE, 'b')
  throwsWithCode(fake, () => decode(VoteBodySchema, encode(VoteBodySchema, voteBody)), MALFORMED, 'c')
  throwsWithCode(fake, () => { throw new Error('no code') }, MALFORMED, 'd')
  const withCode = (code: string): Error => Object.assign(new Error(code), { code })
  await rejectsWithCode(fake, Promise.reject(withCode('EEXIST')), 'EEXIST', 'e')
  await rejectsWithCode(fake, Promise.resolve(1), 'EEXIST', 'f')
  await rejectsWithCode(fake, () => { throw withCode('ENOENT') }, 'EEXIST', 'g')
  await rejectsWithCode(fake, async () => { throw withCode('EEXIST') }, 'EEXIST', 'h')
  t.same(calls.map((c) => c.split(':')[0]), ['pass a', 'fail b', 'fail c', 'fail d', 'pass e', 'fail f', 'fail g', 'pass h'])
})

t.test('the hand-written fixtures are valid, so every case below changes one thing', (t) => {
  for (const { name, schema, value } of EXAMPLES) {
    t.doesNotThrow(() => decode(schema, encode(schema, value)), `${name} decodes`)
    t.doesNotThrow(() => decode(schema, raw(tupleOf(schema, value))), `${name} packed by plain msgpackr decodes`)
  }
  t.doesNotThrow(() => decode(VoteBodySchema, voteBodyHex('0c')), 'the hand-spelled VoteBody decodes')
  t.end()
})

t.test('wrong arity: one field fewer or more, at the top and nested', (t) => {
  for (const { name, schema, value } of EXAMPLES) {
    const fewer = tupleOf(schema, value)
    fewer.pop()
    rejects(t, schema, raw(fewer), WRONG_SHAPE, `${name} with one field fewer`, name)
    const more = tupleOf(schema, value)
    more.push(0)
    rejects(t, schema, raw(more), WRONG_SHAPE, `${name} with one field more`, name)
    rejects(t, schema, raw([]), WRONG_SHAPE, `${name} as an empty tuple`, name)
  }
  const shortHeader = tupleOf(BatchSchema, batch)
  shortHeader[1].pop()
  rejects(t, BatchSchema, raw(shortHeader), WRONG_SHAPE, 'Batch whose header lacks a field', 'Batch.header')
  const longAction = tupleOf(BatchSchema, batch)
  longAction[2][0][4][0][1][0].push(0)
  rejects(t, BatchSchema, raw(longAction), WRONG_SHAPE, 'Batch whose first action has an extra field', 'Batch.chunks[0].txs[0].actions[0]')
  const shortFinality = tupleOf(SliceSchema, slice)
  shortFinality[3].pop()
  rejects(t, SliceSchema, raw(shortFinality), WRONG_SHAPE, 'Slice whose commit proof lacks its certificate', 'Slice.finality')
  const longProofHeader = tupleOf(SliceSchema, slice)
  longProofHeader[3][1][1].push(0)
  rejects(t, SliceSchema, raw(longProofHeader), WRONG_SHAPE, "Slice whose second proof header has an extra field", 'Slice.finality.headers[1]')
  // the deepest nesting of the format: an action inside a tx of a chunk of a batch of a sync item
  const deepAction = tupleOf(SyncResponseSchema, syncResponse)
  deepAction[2][0][0][2][0][4][0][1][0].push(0)
  rejects(t, SyncResponseSchema, raw(deepAction), WRONG_SHAPE, 'SyncResponse whose first action has an extra field', 'SyncResponse.items[0].batch.chunks[0].txs[0].actions[0]')
  t.end()
})

t.test('wrong types', (t) => {
  const cases: Array<[string, unknown, string]> = [
    ['height as a string', '12', 'VoteBody.height'],
    ['height as bytes', Buffer.of(12), 'VoteBody.height'],
    ['height as nil', null, 'VoteBody.height'],
    ['height as a boolean', true, 'VoteBody.height'],
    ['height as an array', [12], 'VoteBody.height']
  ]
  for (const [what, height, path] of cases) {
    const tuple = tupleOf(VoteBodySchema, voteBody)
    tuple[1] = height
    rejects(t, VoteBodySchema, raw(tuple), WRONG_SHAPE, what, path)
  }
  const hashCases: Array<[string, unknown]> = [
    ['hash as a string', 'D'.repeat(32)],
    ['hash as an array of 32 numbers', Array(32).fill(0x44)],
    ['hash of 31 bytes', filled(31, 0x44)],
    ['hash of 33 bytes', filled(33, 0x44)],
    ['hash of 0 bytes', new Uint8Array(0)],
    ['hash as nil', null]
  ]
  for (const [what, hash] of hashCases) {
    const tuple = tupleOf(VoteBodySchema, voteBody)
    tuple[3] = hash
    rejects(t, VoteBodySchema, raw(tuple), WRONG_SHAPE, what, 'VoteBody.batchHash')
  }
  const binChainId = tupleOf(BatchHeaderSchema, header)
  binChainId[1] = Buffer.from('devnet')
  rejects(t, BatchHeaderSchema, raw(binChainId), WRONG_SHAPE, 'chain id as bytes', 'BatchHeader.chainId')
  const strPayload = tupleOf(ActionSchema, action)
  strPayload[1] = 'abc'
  rejects(t, ActionSchema, raw(strPayload), WRONG_SHAPE, 'payload as a string', 'Action.payload')
  const actionsNotList = tupleOf(TxSchema, tx)
  actionsNotList[1] = actionsNotList[1][0]
  rejects(t, TxSchema, raw(actionsNotList), WRONG_SHAPE, 'actions given as one action, not a list', 'Tx.actions[0]')
  const actionsNumber = tupleOf(TxSchema, tx)
  actionsNumber[1] = 1
  rejects(t, TxSchema, raw(actionsNumber), WRONG_SHAPE, 'actions as a number', 'Tx.actions')
  const noActions = tupleOf(TxSchema, tx)
  noActions[1] = []
  rejects(t, TxSchema, raw(noActions), WRONG_SHAPE, 'a tx with no actions (min 1)', 'Tx.actions')
  const noTxs = tupleOf(ChunkSchema, chunk)
  noTxs[4] = []
  rejects(t, ChunkSchema, raw(noTxs), WRONG_SHAPE, 'a chunk with no txs (min 1)', 'Chunk.txs')
  const badNode = tupleOf(SliceSchema, slice)
  badNode[5][2][0] = filled(47, 0)
  rejects(t, SliceSchema, raw(badNode), WRONG_SHAPE, 'a proof node of 47 bytes', 'Slice.proof.nodes[0]')

  const noProofHeaders = tupleOf(SliceSchema, slice)
  noProofHeaders[3][1] = []
  rejects(t, SliceSchema, raw(noProofHeaders), WRONG_SHAPE, 'a commit proof with no headers (min 1)', 'Slice.finality.headers')
  const proofAsCertificate = tupleOf(SliceSchema, slice)
  proofAsCertificate[3] = tupleOf(CertificateSchema, certificate)
  rejects(t, SliceSchema, raw(proofAsCertificate), WRONG_SHAPE, 'the old format: a certificate where the commit proof goes', 'Slice.finality')
  const tcNotList = tupleOf(ProposalSchema, proposal)
  tcNotList[3] = tcNotList[3][0]
  // read as a list, the 5-field TC tuple has too many items for a list of at most one
  rejects(t, ProposalSchema, raw(tcNotList), TOO_LARGE, 'a proposal whose tc is a TC, not a list of at most one', 'Proposal.tc')
  const tcNil = tupleOf(ProposalSchema, proposal)
  tcNil[3] = null
  rejects(t, ProposalSchema, raw(tcNil), WRONG_SHAPE, 'a proposal whose tc is nil (absent is an empty list)', 'Proposal.tc')
  const bodyAsString = tupleOf(ConsensusEnvelopeSchema, EXAMPLES.find((e) => e.name === 'ConsensusEnvelope')!.value)
  bodyAsString[2] = 'vote'
  rejects(t, ConsensusEnvelopeSchema, raw(bodyAsString), WRONG_SHAPE, 'an envelope body as a string', 'ConsensusEnvelope.body')

  // members are bounded by the committee size
  const voter = tupleOf(VoteSchema, vote)
  voter[4] = FormatLimits.maxCommittee
  rejects(t, VoteSchema, raw(voter), WRONG_SHAPE, 'voter 1024 (members are 0..1023)', 'Vote.voter')
  voter[4] = FormatLimits.maxCommittee - 1
  t.equal(decode(VoteSchema, raw(voter)).voter, 1023, 'voter 1023 is fine')
  const timeoutVoter = tupleOf(TimeoutSchema, timeout)
  timeoutVoter[3] = FormatLimits.maxCommittee
  rejects(t, TimeoutSchema, raw(timeoutVoter), WRONG_SHAPE, 'timeout voter 1024', 'Timeout.voter')
  const kind = tupleOf(ConsensusEnvelopeSchema, EXAMPLES.find((e) => e.name === 'ConsensusEnvelope')!.value)
  kind[1] = 256
  rejects(t, ConsensusEnvelopeSchema, raw(kind), WRONG_SHAPE, 'envelope kind 256', 'ConsensusEnvelope.kind')
  kind[1] = 255
  t.equal(decode(ConsensusEnvelopeSchema, raw(kind)).kind, 255, 'envelope kind 255 is fine (unknown kinds are for the receiver to refuse)')

  for (const [what, value] of [['nil', null], ['a number', 1], ['a string', 'Vote'], ['bytes', Buffer.of(1)], ['true', true]] as const) {
    rejects(t, VoteBodySchema, raw(value), WRONG_SHAPE, `the whole message as ${what}`, 'VoteBody')
  }
  t.end()
})

t.test('unsupported versions', (t) => {
  for (const version of ['02', '00', '7f', 'a131', 'c0', 'cb3ff8000000000000']) {
    rejects(t, VoteBodySchema, voteBodyHex('0c', '00', version), UNSUPPORTED_VERSION, `version spelled ${version}`, 'VoteBody.version')
  }
  for (const { name, schema, value } of EXAMPLES) {
    const tuple = tupleOf(schema, value)
    if (tuple[0] !== 1) continue // NamespaceProof, NamespaceCount and Action carry no version
    tuple[0] = 2
    rejects(t, schema, raw(tuple), UNSUPPORTED_VERSION, `${name} version 2`, `${name}.version`)
  }
  const nestedHeader = tupleOf(BatchSchema, batch)
  nestedHeader[1][0] = 2
  rejects(t, BatchSchema, raw(nestedHeader), UNSUPPORTED_VERSION, 'Batch with a version-2 header', 'Batch.header.version')
  const nestedTx = tupleOf(BatchSchema, batch)
  nestedTx[2][0][4][0][0] = 2
  rejects(t, BatchSchema, raw(nestedTx), UNSUPPORTED_VERSION, 'Batch with a version-2 tx', 'Batch.chunks[0].txs[0].version')
  const proofHeader = tupleOf(SliceSchema, slice)
  proofHeader[3][1][0][0] = 2
  rejects(t, SliceSchema, raw(proofHeader), UNSUPPORTED_VERSION, 'Slice with a version-2 proof header', 'Slice.finality.headers[0].version')
  const proofCert = tupleOf(SliceSchema, slice)
  proofCert[3][2][0] = 2
  rejects(t, SliceSchema, raw(proofCert), UNSUPPORTED_VERSION, 'Slice with a version-2 proof certificate', 'Slice.finality.certificate.version')
  const syncTx = tupleOf(SyncItemSchema, EXAMPLES.find((e) => e.name === 'SyncItem')!.value)
  syncTx[0][2][0][4][0][0] = 2
  rejects(t, SyncItemSchema, raw(syncTx), UNSUPPORTED_VERSION, 'SyncItem with a version-2 tx', 'SyncItem.batch.chunks[0].txs[0].version')
  t.end()
})

t.test('trailing bytes are CODEC_MALFORMED', (t) => {
  for (const { name, schema, value } of EXAMPLES) {
    const bytes = Buffer.from(encode(schema, value))
    rejects(t, schema, Buffer.concat([bytes, Buffer.of(0)]), MALFORMED, `${name} + one zero byte`)
    rejects(t, schema, Buffer.concat([bytes, Buffer.of(0xc0)]), MALFORMED, `${name} + nil`)
    rejects(t, schema, Buffer.concat([bytes, bytes]), MALFORMED, `${name} twice`)
  }
  t.end()
})

t.test('trailing bytes after a large value are refused without extra work', (t) => {
  // msgpackr's own trailing-bytes error JSON.stringify-ed the whole value first: ~0.7 s for
  // this 4 MiB payload, against a few ms to decode it.
  const bytes = Buffer.from(encode(ActionSchema, { rollupId: 1, payload: new Uint8Array(FormatLimits.maxPayloadBytes) }))
  let started = performance.now()
  decode(ActionSchema, bytes)
  const valid = performance.now() - started
  const withTrailing = Buffer.concat([bytes, Buffer.of(0)])
  started = performance.now()
  rejects(t, ActionSchema, withTrailing, MALFORMED, '4 MiB payload + one byte')
  const trailing = performance.now() - started
  t.ok(trailing < Math.max(150, 20 * valid), `refused in ${trailing.toFixed(1)} ms (a valid decode: ${valid.toFixed(1)} ms)`)
  t.end()
})

t.test('truncated input is CODEC_MALFORMED', (t) => {
  for (const { name, schema, value } of EXAMPLES) {
    const bytes = Buffer.from(encode(schema, value))
    for (const cut of [1, 2, bytes.length >> 1, bytes.length - 1]) {
      rejects(t, schema, bytes.subarray(0, cut), MALFORMED, `${name} cut to ${cut} of ${bytes.length} bytes`)
    }
  }
  t.end()
})

t.test('non-canonical spellings are CODEC_NON_CANONICAL', (t) => {
  const ints: Array<[string, string]> = [
    ['5 as uint8', 'cc05'], ['5 as uint16', 'cd0005'], ['5 as uint32', 'ce00000005'], ['5 as uint64', 'cf0000000000000005'],
    ['5 as int8', 'd005'], ['5 as int16', 'd10005'], ['5 as int32', 'd200000005'], ['5 as int64', 'd30000000000000005'],
    ['5 as float64', 'cb4014000000000000'], ['5 as float32', 'ca40a00000'],
    ['0 as float64 -0.0', 'cb8000000000000000'], ['0 as float64 +0.0', 'cb0000000000000000'],
    ['200 as uint16', 'cd00c8'], ['0x10000 as uint64', 'cf0000000000010000'],
    ['2^32-1 as int64', 'd300000000ffffffff'], ['2^32-1 as uint64', 'cf00000000ffffffff'],
    ['2^32 as uint64', 'cf0000000100000000'], ['2^32 as float64', 'cb41f0000000000000'],
    ['2^53-1 as uint64', 'cf001fffffffffffff'], ['2^53-1 as float64', 'cb433fffffffffffff']
  ]
  for (const [what, spelling] of ints) {
    rejects(t, VoteBodySchema, voteBodyHex(spelling), NON_CANONICAL, `height ${what}`)
  }
  rejects(t, VoteBodySchema, voteBodyHex('0c', '00', 'cb3ff0000000000000'), NON_CANONICAL, 'version 1 as float64 1.0')
  rejects(t, VoteBodySchema, voteBodyHex('0c', '00', 'cc01'), NON_CANONICAL, 'version 1 as uint8')
  rejects(t, VoteBodySchema, hex('dc0004 01 0c 00', HASH44), NON_CANONICAL, 'tuple header as array16')
  rejects(t, VoteBodySchema, hex('dd00000004 01 0c 00', HASH44), NON_CANONICAL, 'tuple header as array32')
  rejects(t, VoteBodySchema, voteBodyHex('0c', '00', '01', `c50020${'44'.repeat(32)}`), NON_CANONICAL, 'hash as bin16')
  rejects(t, VoteBodySchema, voteBodyHex('0c', '00', '01', `c600000020${'44'.repeat(32)}`), NON_CANONICAL, 'hash as bin32')
  // msgpackr's typed-array extension (0x74, type code 1 = Uint8Array) yields a Uint8Array
  rejects(t, VoteBodySchema, voteBodyHex('0c', '00', '01', `c7217401${'44'.repeat(32)}`), WRONG_SHAPE, 'hash as a typed-array extension')

  const chainIdStr8 = Buffer.from(encode(BatchHeaderSchema, header))
  const at = chainIdStr8.indexOf(Buffer.from('a6' + Buffer.from('devnet').toString('hex'), 'hex'))
  t.ok(at > 0, 'found the fixstr chain id')
  const str8 = Buffer.concat([chainIdStr8.subarray(0, at), hex('d906'), chainIdStr8.subarray(at + 1)])
  rejects(t, BatchHeaderSchema, str8, NON_CANONICAL, 'chain id as str8')
  t.end()
})

t.test('a map instead of a tuple is CODEC_WRONG_SHAPE', (t) => {
  const asIndexMap = new Map<number, unknown>(tupleOf(VoteBodySchema, voteBody).map((v, i) => [i, v]))
  rejects(t, VoteBodySchema, raw(asIndexMap), WRONG_SHAPE, 'VoteBody as a map of index to field')
  const asNameMap = new Map<string, unknown>(Object.entries(voteBody))
  rejects(t, VoteBodySchema, raw(asNameMap), WRONG_SHAPE, 'VoteBody as a map of name to field')
  rejects(t, VoteBodySchema, hex('80'), WRONG_SHAPE, 'an empty map')
  const nested = tupleOf(BatchSchema, batch)
  nested[1] = new Map(Object.entries(header))
  rejects(t, BatchSchema, raw(nested), WRONG_SHAPE, 'Batch whose header is a map')
  const mapList = tupleOf(CertificateSchema, certificate)
  mapList[5] = new Map([[0, filled(64, 1)]])
  rejects(t, CertificateSchema, raw(mapList), WRONG_SHAPE, 'signatures as a map')
  t.end()
})

t.test('lists, bytes and strings above the schema bound are CODEC_TOO_LARGE', (t) => {
  const boundary = <T>(schema: Schema<T>, what: string, path: string, edit: (tuple: any[], n: number) => void, max: number): void => {
    const ok = tupleOf(schema, EXAMPLES.find((e) => e.schema === schema)!.value)
    edit(ok, max)
    t.doesNotThrow(() => decode(schema, raw(ok)), `${what}: ${max} is accepted`)
    const over = tupleOf(schema, EXAMPLES.find((e) => e.schema === schema)!.value)
    edit(over, max + 1)
    rejects(t, schema, raw(over), TOO_LARGE, `${what}: ${max + 1} is too large`, path)
  }
  boundary(CertificateSchema, 'signer bitmap bytes', 'Certificate.signers', (c, n) => { c[4] = filled(n, 0xff) }, FormatLimits.maxCommittee / 8)
  boundary(CertificateSchema, 'signatures', 'Certificate.signatures', (c, n) => { c[5] = Array.from({ length: n }, () => filled(64, 9)) }, FormatLimits.maxCommittee)
  boundary(NamespaceProofSchema, 'proof nodes', 'NamespaceProof.nodes', (p, n) => { p[2] = Array.from({ length: n }, () => filled(48, 1)) }, FormatLimits.maxProofNodes)
  boundary(NamespaceProofSchema, 'leaf hash bytes', 'NamespaceProof.leafHash', (p, n) => { p[3] = filled(n, 1) }, 48)
  boundary(BatchHeaderSchema, 'chain id characters', 'BatchHeader.chainId', (h, n) => { h[1] = 'c'.repeat(n) }, FormatLimits.maxChainIdLength)
  boundary(BatchHeaderSchema, 'chunk digests', 'BatchHeader.chunkDigests', (h, n) => { h[9] = Array.from({ length: n }, () => filled(32, 3)) }, FormatLimits.maxChunksPerBatch)
  boundary(TxSchema, 'actions', 'Tx.actions', (x, n) => { x[1] = Array.from({ length: n }, () => [1, Buffer.of(1)]) }, FormatLimits.maxActionsPerTx)
  boundary(ActionSchema, 'payload bytes', 'Action.payload', (a, n) => { a[1] = new Uint8Array(n) }, FormatLimits.maxPayloadBytes)
  boundary(CommitProofSchema, 'commit proof headers', 'CommitProof.headers', (p, n) => { p[1] = Array.from({ length: n }, () => tupleOf(BatchHeaderSchema, header)) }, FormatLimits.maxCommitProofHeaders)
  boundary(ProposalSchema, 'timeout certificates in a proposal', 'Proposal.tc', (p, n) => { p[3] = Array.from({ length: n }, () => p[3][0]) }, 1)
  boundary(TimeoutCertificateSchema, 'high QC rounds', 'TimeoutCertificate.highQcRounds', (c, n) => { c[2] = Array.from({ length: n }, (_, i) => i) }, FormatLimits.maxCommittee)
  boundary(TimeoutCertificateSchema, 'timeout signer bitmap bytes', 'TimeoutCertificate.signers', (c, n) => { c[3] = filled(n, 0xff) }, FormatLimits.maxCommittee / 8)
  boundary(TimeoutCertificateSchema, 'timeout signatures', 'TimeoutCertificate.signatures', (c, n) => { c[4] = Array.from({ length: n }, () => filled(64, 9)) }, FormatLimits.maxCommittee)
  boundary(BlockResponseSchema, 'blocks in a block response', 'BlockResponse.blocks', (r, n) => { r[1] = Array.from({ length: n }, () => r[1][1]) }, 256)
  boundary(ChunkRequestSchema, 'digests in a chunk request', 'ChunkRequest.digests', (r, n) => { r[1] = Array.from({ length: n }, () => filled(32, 3)) }, FormatLimits.maxChunksPerBatch)
  boundary(SyncResponseSchema, 'items in a sync response', 'SyncResponse.items', (r, n) => { r[2] = Array.from({ length: n }, () => r[2][1]) }, 1024)
  // the bound holds deep inside a Slice too
  const deep = tupleOf(SliceSchema, slice)
  deep[5][2] = Array.from({ length: FormatLimits.maxProofNodes + 1 }, () => filled(48, 1))
  rejects(t, SliceSchema, raw(deep), TOO_LARGE, 'a slice whose proof has 129 nodes', 'Slice.proof.nodes')
  const longProof = tupleOf(SliceSchema, slice)
  longProof[3][1] = Array.from({ length: FormatLimits.maxCommitProofHeaders + 1 }, () => tupleOf(BatchHeaderSchema, header))
  rejects(t, SliceSchema, raw(longProof), TOO_LARGE, 'a slice whose commit proof has 1025 headers', 'Slice.finality.headers')
  const longDigests = tupleOf(SliceSchema, slice)
  longDigests[3][1][0][9] = Array.from({ length: FormatLimits.maxChunksPerBatch + 1 }, () => filled(32, 3))
  rejects(t, SliceSchema, raw(longDigests), TOO_LARGE, 'a proof header with 4097 chunk digests', 'Slice.finality.headers[0].chunkDigests')
  t.end()
})

t.test('empty, non-byte and oversize inputs', (t) => {
  rejects(t, VoteBodySchema, new Uint8Array(0), MALFORMED, 'empty input')
  rejects(t, VoteBodySchema, Buffer.alloc(0), MALFORMED, 'empty Buffer')
  rejects(t, VoteBodySchema, 'hello' as unknown as Uint8Array, MALFORMED, 'a string instead of bytes')
  rejects(t, VoteBodySchema, [0x94, 1, 2, 3] as unknown as Uint8Array, MALFORMED, 'an array of numbers instead of bytes')
  // msgpackr unpacks the never-used byte 0xc1 to a marker object, which is not a tuple
  rejects(t, VoteBodySchema, hex('c1'), WRONG_SHAPE, 'the never-used byte 0xc1')

  const bytes = encode(VoteSchema, vote)
  t.equal(decode(VoteSchema, bytes, bytes.length).voter, vote.voter, 'an input of exactly maxBytes is fine')
  throwsWithCode(t, () => decode(VoteSchema, bytes, bytes.length - 1), TOO_LARGE, 'a valid input one byte larger than maxBytes')
  // checked before parsing: a buffer of MAX_MESSAGE_BYTES + 1 zeros is too large, not malformed
  throwsWithCode(t, () => decode(VoteSchema, new Uint8Array(MAX_MESSAGE_BYTES + 1)), TOO_LARGE, 'an input above MAX_MESSAGE_BYTES')
  t.end()
})

t.test('negative integers are CODEC_WRONG_SHAPE', (t) => {
  const negatives: Array<[string, string]> = [
    ['-1', 'ff'], ['-32', 'e0'], ['-33', 'd0df'], ['-200', 'd1ff38'], ['-70000', 'd2fffeee90'],
    ['-2^40', 'd3ffffff0000000000'], ['-1.0 as float64', 'cbbff0000000000000']
  ]
  for (const [what, spelling] of negatives) {
    rejects(t, VoteBodySchema, voteBodyHex(spelling), WRONG_SHAPE, `height ${what}`, 'VoteBody.height')
  }
  const negativeNonce = tupleOf(TxSchema, tx)
  negativeNonce[3] = -5
  rejects(t, TxSchema, raw(negativeNonce), WRONG_SHAPE, 'a negative nonce', 'Tx.nonce')
  t.end()
})

t.test('integers of 2^53 and above, and non-integers, are CODEC_WRONG_SHAPE', (t) => {
  const big: Array<[string, string]> = [
    ['2^53 as int64', 'd30020000000000000'], ['2^53 as uint64', 'cf0020000000000000'],
    ['2^53+1 as int64', 'd30020000000000001'], ['2^63-1 as int64', 'd37fffffffffffffff'],
    ['2^64-1 as uint64', 'cfffffffffffffffff'], ['2^53 as float64', 'cb4340000000000000'],
    ['1e300 as float64', 'cb7e37e43c8800759c'], ['1.5 as float64', 'cb3ff8000000000000'],
    ['0.5 as float32', 'ca3f000000'], ['NaN', 'cb7ff8000000000000'], ['Infinity', 'cb7ff0000000000000']
  ]
  for (const [what, spelling] of big) {
    rejects(t, VoteBodySchema, voteBodyHex(spelling), WRONG_SHAPE, `height ${what}`, 'VoteBody.height')
  }
  const bigTimestamp = tupleOf(BatchHeaderSchema, header)
  bigTimestamp[6] = 2n ** 53n
  rejects(t, BatchHeaderSchema, raw(bigTimestamp), WRONG_SHAPE, 'a timestamp of 2^53', 'BatchHeader.timestamp')
  t.end()
})

t.test('msgpack extension types are refused', (t) => {
  const asHeight: Array<[string, string, CodecErrorCode]> = [
    ['timestamp 32 (-1, fixext4)', 'd6ff00000000', WRONG_SHAPE],
    ['timestamp 64 (-1, fixext8)', 'd7ff0000000000000000', WRONG_SHAPE],
    ['timestamp 96 (-1, ext8)', 'c70cff000000000000000000000000', WRONG_SHAPE],
    ['an unknown extension type 5', 'd40500', WRONG_SHAPE],
    ['an unknown extension type 0x10 with ext8', 'c7021000 00', WRONG_SHAPE],
    ['the "undefined" extension (type 0)', 'd40000', WRONG_SHAPE],
    ['msgpackr bigint extension 5n', 'd44205', WRONG_SHAPE],
    ['msgpackr Set extension', 'd4730090', WRONG_SHAPE],
    ['msgpackr record definition', 'd47200 91a161 05', WRONG_SHAPE],
    ['msgpackr pointer with no referent', 'd67000000001', WRONG_SHAPE],
    ['msgpackr RegExp with a bad pattern', 'd47800 92 a128 a0', WRONG_SHAPE],
    ['msgpackr Error extension', 'd46500 92 a54572726f72 a178', WRONG_SHAPE]
  ]
  for (const [what, spelling, code] of asHeight) {
    rejects(t, VoteBodySchema, voteBodyHex(spelling), code, `height as ${what}`)
  }
  rejects(t, VoteBodySchema, hex('d6ff00000000'), WRONG_SHAPE, 'the whole message as a timestamp')
  // structured-clone references: a tuple whose last field points back at the tuple itself
  rejects(t, VoteBodySchema, hex('d66900000001 94 01 0c 00 d67000000001'), WRONG_SHAPE, 'a self-referencing tuple')
  t.end()
})

t.test('every error of decode is a CodecError with one of the fixed codes', (t) => {
  const codes = new Set<string>(Object.values(CodecErrorCode))
  const inputs = [hex(''), hex('c1'), hex('94'), hex('dd ffffffff'), hex('c6 ffffffff'), hex('9401 cf'), voteBodyHex('d6ff00000000')]
  for (const input of inputs) {
    try {
      decode(VoteBodySchema, input)
      t.fail(`${input.toString('hex')} decoded`)
    } catch (err) {
      t.ok(err instanceof CodecError && codes.has(err.code), `${input.toString('hex') || '(empty)'}: ${(err as Error).message}`)
    }
  }
  t.end()
})

t.test('decoded values are fresh objects with exactly the schema fields', (t) => {
  const decoded = decode(VoteSchema, encode(VoteSchema, vote))
  t.same(Object.keys(decoded), ['version', 'height', 'round', 'batchHash', 'voter', 'signature'])
  t.equal(Object.getPrototypeOf(decoded), Object.prototype)
  t.end()
})

// A proof object fixture must round-trip with an empty leaf hash (absence proofs only set it).
t.test('an empty leaf hash is valid', (t) => {
  t.equal(decode(NamespaceProofSchema, encode(NamespaceProofSchema, proof)).leafHash.length, 0)
  t.end()
})
