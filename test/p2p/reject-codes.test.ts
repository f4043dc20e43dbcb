/**
 * The p2p reject classifier: the verdict and penalty of each refusal code, and the chunk
 * judgement (envelope rules, then the validator, our own failures never REJECT). Expected
 * values are written out as wire strings, not taken from the module under test.
 */
import t from 'tap'
import { judgeChunk } from '../../src/p2p/chunks.js'
import { p2pPenaltyOf, p2pRejectPolicies } from '../../src/p2p/index.js'
import type { ChunkValidator } from '../../src/p2p/index.js'

t.test('every p2p reject code has its verdict and penalty', async (t) => {
  const expected: Record<string, [string, number]> = {
    P2P_MALFORMED: ['REJECT', 20],
    P2P_TOO_LARGE: ['REJECT', 50],
    P2P_NOT_MEMBER: ['REJECT', 25],
    P2P_CHUNK_INVALID: ['REJECT', 10],
    P2P_RATE_LIMITED: ['IGNORE', 1],
    P2P_BANNED: ['IGNORE', 0]
  }
  t.same(Object.fromEntries(Object.entries(p2pRejectPolicies).map(([code, p]) => [code, [p.verdict, p.penalty]])), expected)
  for (const [code, [, penalty]] of Object.entries(expected)) t.equal(p2pPenaltyOf(code), penalty, `${code} costs ${penalty}`)
  // codes of other layers (the public network's, a consensus code passed without a penalty) cost the default
  t.equal(p2pPenaltyOf('TX_INVALID'), 10)
})

t.test('judgeChunk: envelope rules, then the validator', async (t) => {
  const id = new Uint8Array(32).fill(7)
  const envelope = (size: number): Uint8Array => { const e = new Uint8Array(32 + size); e.set(id); return e }
  const seen: Array<[number, number, number]> = []
  const accepting: ChunkValidator = (from, bytes, chunkId) => { seen.push([from, bytes.byteLength, chunkId[0]!]); return 'accept' }

  t.same(judgeChunk(accepting, 2, new Uint8Array(31), 100), { verdict: 'reject', reason: 'P2P_MALFORMED' }, 'shorter than an id')
  t.same(judgeChunk(accepting, 2, envelope(101), 100), { verdict: 'reject', reason: 'P2P_TOO_LARGE' }, 'one byte over the limit')
  t.same(seen, [], 'the validator never saw a broken envelope')
  t.same(judgeChunk(accepting, 2, envelope(100), 100), { verdict: 'accept', reason: 'validator' }, 'exactly at the limit')
  t.same(judgeChunk(accepting, 3, envelope(0), 100), { verdict: 'accept', reason: 'validator' }, 'an empty chunk is the validator\'s call')
  t.same(seen, [[2, 100, 7], [3, 0, 7]], 'the validator got the sender, the bytes after the id and the id')

  t.same(judgeChunk(undefined, 1, envelope(10), 100), { verdict: 'ignore', reason: 'no_validator' }, 'no validator yet: IGNORE')
  t.same(judgeChunk(() => 'reject', 1, envelope(10), 100), { verdict: 'reject', reason: 'validator' })
  t.same(judgeChunk(() => 'ignore', 1, envelope(10), 100), { verdict: 'ignore', reason: 'validator' })
  const bug = new Error('validator bug')
  t.same(judgeChunk(() => { throw bug }, 1, envelope(10), 100), { verdict: 'ignore', reason: 'error', error: bug }, 'a throwing validator: IGNORE, never REJECT')
  t.same(judgeChunk((() => 'maybe') as unknown as ChunkValidator, 1, envelope(10), 100), { verdict: 'ignore', reason: 'error' }, 'a nonsense verdict: IGNORE')
})
