/** The kv toy rollup: ownership rules, malformed payloads, persistence, and a property test of determinism against a model. */
import t, { type Test } from 'tap'
import fc from 'fast-check'
import { join } from 'node:path'
import { encode } from '../../src/codec/index.js'
import {
  KV_MAX_KEY_BYTES, KV_MAX_VALUE_BYTES, KvPayloadSchema, KvReceiptCode, KvRollup, encodeKvDelete, encodeKvSet, merkleLeafHash, merkleRoot,
  type VerifiedSlice
} from '../../src/rollup-adapters/index.js'
import { makeTempDir } from '../helpers/temp-dir.js'
import { CHAIN, hex, leaf, makeSlice } from './helpers.js'

const ROLLUP = 9
const ALICE = new Uint8Array(32).fill(0xa1)
const BOB = new Uint8Array(32).fill(0xb0)
const bytes = (s: string): Uint8Array => new TextEncoder().encode(s)

async function openKv (t: Test, dir?: string): Promise<KvRollup> {
  let folder = dir
  if (folder === undefined) {
    const tmp = await makeTempDir()
    t.teardown(tmp.remove)
    folder = join(tmp.dir, 'kv')
  }
  const kv = new KvRollup({ rollupId: ROLLUP, dir: folder, chainId: CHAIN })
  await kv.open()
  t.teardown(() => kv.close())
  return kv
}

t.test('the first setter owns a key until it deletes it', async (t) => {
  const kv = await openKv(t)
  const steps: Array<[Uint8Array, Uint8Array, string]> = [
    [ALICE, encodeKvSet(bytes('k'), bytes('a1')), KvReceiptCode.OK],
    [BOB, encodeKvSet(bytes('k'), bytes('b1')), KvReceiptCode.NOT_OWNER],
    [BOB, encodeKvDelete(bytes('k')), KvReceiptCode.NOT_OWNER],
    [ALICE, encodeKvSet(bytes('k'), bytes('a2')), KvReceiptCode.OK],
    [BOB, encodeKvSet(bytes('other'), new Uint8Array(0)), KvReceiptCode.OK], // an empty value is a value
    [BOB, encodeKvDelete(bytes('missing')), KvReceiptCode.NOT_FOUND],
    [ALICE, encodeKvDelete(bytes('k')), KvReceiptCode.OK],
    [ALICE, encodeKvDelete(bytes('k')), KvReceiptCode.NOT_FOUND],
    [BOB, encodeKvSet(bytes('k'), bytes('b2')), KvReceiptCode.OK] // freed by the delete
  ]
  await kv.executeSlice(makeSlice(ROLLUP, 0, steps.map(([sender, payload]) => leaf(payload, sender))))
  t.same((await kv.receipts(0))!.map((r) => r.code), steps.map(([, , code]) => code))
  t.same(kv.lookup(bytes('k')), { owner: BOB, value: bytes('b2') })
  t.same(kv.lookup(bytes('other')), { owner: BOB, value: new Uint8Array(0) })
  t.equal(kv.lookup(bytes('missing')), undefined)
  t.equal(kv.size, 2)
})

t.test('malformed payloads fail with KV_MALFORMED and change nothing', async (t) => {
  const kv = await openKv(t)
  const before = kv.commitment().stateRoot
  const raw = (op: number, key: Uint8Array, value: Uint8Array): Uint8Array => {
    // Encoded with a looser op so the strict decoder is what refuses it.
    return encode(KvPayloadSchema, { version: 1, op: 0, key, value }).map((b, i) => i === 2 ? op : b)
  }
  const bad = [
    new Uint8Array(0),
    Uint8Array.from([0xc0]),
    raw(2, bytes('k'), bytes('v')), // unknown op
    encodeKvSet(new Uint8Array(0), bytes('v')), // empty key
    encode(KvPayloadSchema, { version: 1, op: 1, key: bytes('k'), value: bytes('v') }), // delete with a value
    Uint8Array.from([...encodeKvSet(bytes('k'), bytes('v')), 0]), // trailing byte
    Uint8Array.from([0x94, 2, 0, 0xc4, 1, 0x6b, 0xc4, 0]), // version 2
    encodeKvSet(new Uint8Array(KV_MAX_KEY_BYTES + 1), bytes('v')),
    encodeKvSet(bytes('k'), new Uint8Array(KV_MAX_VALUE_BYTES + 1))
  ]
  const c = await kv.executeSlice(makeSlice(ROLLUP, 0, bad))
  t.same((await kv.receipts(0))!.map((r) => r.code), bad.map(() => KvReceiptCode.MALFORMED))
  t.equal(hex(c.stateRoot), hex(before))
  const big = await kv.executeSlice(makeSlice(ROLLUP, 1, [encodeKvSet(new Uint8Array(KV_MAX_KEY_BYTES).fill(1), new Uint8Array(KV_MAX_VALUE_BYTES).fill(2))]))
  t.same((await kv.receipts(1))!.map((r) => r.code), ['OK'], 'keys and values at their maximum are fine')
  t.not(hex(big.stateRoot), hex(before))
})

t.test('entries and ownership survive a reopen', async (t) => {
  const tmp = await makeTempDir()
  t.teardown(tmp.remove)
  const dir = join(tmp.dir, 'kv')
  const kv = new KvRollup({ rollupId: ROLLUP, dir, chainId: CHAIN })
  await kv.open()
  await kv.executeSlice(makeSlice(ROLLUP, 0, [leaf(encodeKvSet(bytes('a'), bytes('1')), ALICE), leaf(encodeKvSet(bytes('b'), bytes('2')), BOB)]))
  const c = await kv.executeSlice(makeSlice(ROLLUP, 1, [leaf(encodeKvDelete(bytes('b')), BOB)]))
  await kv.close()
  const again = await openKv(t, dir)
  t.same(again.commitment(), c)
  t.same(again.lookup(bytes('a')), { owner: ALICE, value: bytes('1') })
  t.equal(again.lookup(bytes('b')), undefined)
  await again.executeSlice(makeSlice(ROLLUP, 2, [leaf(encodeKvSet(bytes('a'), bytes('x')), BOB)]))
  t.same((await again.receipts(2))!.map((r) => r.code), [KvReceiptCode.NOT_OWNER], 'the owner is remembered')
})

type Op = { sender: number, del: boolean, key: number, value: number }
const opArb: fc.Arbitrary<Op> = fc.record({
  sender: fc.integer({ min: 0, max: 2 }),
  del: fc.boolean(),
  key: fc.integer({ min: 0, max: 4 }),
  value: fc.integer({ min: 0, max: 3 })
})

function entryBytes (key: Uint8Array, owner: Uint8Array, value: Uint8Array): Uint8Array {
  return Uint8Array.from([0x93, 0xc4, key.length, ...key, 0xc4, 32, ...owner, 0xc4, value.length, ...value])
}

t.test('kv: same slices give the same roots on every instance, and the model agrees on receipts and roots', async (t) => {
  const tmp = await makeTempDir()
  t.teardown(tmp.remove)
  const senders = [ALICE, BOB, new Uint8Array(32).fill(0xcc)]
  let run = 0
  await fc.assert(fc.asyncProperty(fc.array(fc.array(opArb, { maxLength: 8 }), { minLength: 1, maxLength: 5 }), async (heights) => {
    // Model: key -> {owner, value}
    const model = new Map<string, { key: Uint8Array, owner: Uint8Array, value: Uint8Array }>()
    const slices: VerifiedSlice[] = []
    const codes: string[][] = []
    const roots: string[] = []
    heights.forEach((ops, height) => {
      const leaves = []
      const expected: string[] = []
      for (const op of ops) {
        const key = bytes(`key-${op.key}`)
        const value = bytes('v'.repeat(op.value))
        const sender = senders[op.sender]!
        leaves.push(leaf(op.del ? encodeKvDelete(key) : encodeKvSet(key, value), sender))
        const current = model.get(hex(key))
        if (current !== undefined && hex(current.owner) !== hex(sender)) expected.push(KvReceiptCode.NOT_OWNER)
        else if (!op.del) { model.set(hex(key), { key, owner: sender, value }); expected.push('OK') } else if (current === undefined) expected.push(KvReceiptCode.NOT_FOUND)
        else { model.delete(hex(key)); expected.push('OK') }
      }
      slices.push(makeSlice(ROLLUP, height, leaves))
      codes.push(expected)
      const sorted = [...model.values()].sort((a, b) => Buffer.compare(a.key, b.key))
      roots.push(hex(merkleRoot(sorted.map((e) => merkleLeafHash(entryBytes(e.key, e.owner, e.value))))))
    })
    const perInstance: string[][] = []
    for (const instance of ['a', 'b']) {
      const kv = new KvRollup({ rollupId: ROLLUP, dir: join(tmp.dir, `run-${run}-${instance}`), chainId: CHAIN })
      await kv.open()
      try {
        const got: string[] = []
        for (const slice of slices) {
          got.push(hex((await kv.executeSlice(slice)).stateRoot))
          const receipts = (await kv.receipts(slice.height))!.map((r) => r.code)
          if (JSON.stringify(receipts) !== JSON.stringify(codes[slice.height])) throw new Error(`receipts ${receipts.join()} expected ${codes[slice.height]!.join()}`)
        }
        perInstance.push(got)
      } finally {
        await kv.close()
      }
      // What was written per height rebuilds the same state (open() checks the root).
      const reopened = new KvRollup({ rollupId: ROLLUP, dir: join(tmp.dir, `run-${run}-${instance}`), chainId: CHAIN })
      const c = await reopened.open()
      await reopened.close()
      if (hex(c.stateRoot) !== perInstance[perInstance.length - 1]!.at(-1)) throw new Error('reopened root differs')
    }
    run++
    if (JSON.stringify(perInstance[0]) !== JSON.stringify(perInstance[1])) throw new Error('instances disagree')
    if (JSON.stringify(perInstance[0]) !== JSON.stringify(roots)) throw new Error('roots differ from the model')
  }), { numRuns: 25 })
  t.pass(`${run} random runs`)
})
