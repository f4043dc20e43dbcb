/** The token toy rollup: every receipt code, receipts and state across reopen, genesis checks, state root. */
import t, { type Test } from 'tap'
import { join } from 'node:path'
import { Level } from 'level'
import { encode } from '../../src/codec/index.js'
import { DomainTag, domainMessage, Ed25519Signer, generateKeyPair } from '../../src/crypto/index.js'
import {
  RollupErrorCode, TokenReceiptCode, TokenRollup, TransferBodySchema, createBuiltinRollup, encodeTransfer, merkleLeafHash, merkleRoot,
  parseTokenGenesis, rollupDomainMessage, RollupDomainTag, signTransfer, decodeTransfer
} from '../../src/rollup-adapters/index.js'
import { rejectsWithCode, throwsWithCode } from '../helpers/assert-error.js'
import { makeTempDir } from '../helpers/temp-dir.js'
import { CHAIN, hex, leaf, makeSlice } from './helpers.js'

const ROLLUP = 3
const alice = new Ed25519Signer(generateKeyPair().seed)
const bob = new Ed25519Signer(generateKeyPair().seed)
const carol = new Ed25519Signer(generateKeyPair().seed)
const genesis = [{ account: hex(alice.publicKey), balance: 1000 }, { account: hex(bob.publicKey), balance: 50 }]

async function openToken (t: Test, dir?: string): Promise<{ token: TokenRollup, dir: string }> {
  let folder = dir
  if (folder === undefined) {
    const tmp = await makeTempDir()
    t.teardown(tmp.remove)
    folder = join(tmp.dir, 'token')
  }
  const token = new TokenRollup({ rollupId: ROLLUP, dir: folder, chainId: CHAIN, genesis })
  await token.open()
  t.teardown(() => token.close())
  return { token, dir: folder }
}

t.test('the transfer domain message has the protocol layout with the rollup tag', (t) => {
  const body = encode(TransferBodySchema, { version: 1, from: alice.publicKey, to: bob.publicKey, amount: 5, nonce: 0 })
  // Same bytes as crypto's domainMessage would produce for this tag (it only types its own tags).
  t.same(rollupDomainMessage(RollupDomainTag.tokenTransfer, CHAIN, body), domainMessage(RollupDomainTag.tokenTransfer as unknown as DomainTag, CHAIN, body))
  t.equal(RollupDomainTag.tokenTransfer, 'rollup/token/transfer/v1')
  const payload = signTransfer(CHAIN, alice, { to: bob.publicKey, amount: 5, nonce: 0 })
  t.equal(payload.length, 138, 'a small Transfer is 138 bytes')
  t.same(decodeTransfer(payload).amount, 5)
  t.end()
})

t.test('genesis: balances, nonces and a root over the sorted accounts', async (t) => {
  const { token } = await openToken(t)
  const c = token.commitment()
  t.equal(c.height, -1)
  t.equal(token.balance(alice.publicKey), 1000)
  t.equal(token.balance(hex(bob.publicKey)), 50)
  t.equal(token.balance(carol.publicKey), 0)
  t.equal(token.nonce(alice.publicKey), 0)
  t.equal(token.totalSupply(), 1050)
  const sorted = [alice, bob].map((s) => s.publicKey).sort(Buffer.compare)
  const leafOf = (account: Uint8Array): Uint8Array => merkleLeafHash(Uint8Array.from([0x93, 0xc4, 32, ...account, ...encodeUint(token.balance(account)), 0x00]))
  t.equal(hex(c.stateRoot), hex(merkleRoot(sorted.map(leafOf))), 'root = RFC 6962 over msgpack [account, balance, nonce] in account order')
  t.same(await token.receipts(0), null, 'nothing executed yet')
})

function encodeUint (n: number): number[] {
  if (n < 128) return [n]
  if (n < 256) return [0xcc, n]
  return [0xcd, n >> 8, n & 0xff]
}

t.test('every rule gives its receipt code, and only OK transfers move tokens', async (t) => {
  const { token } = await openToken(t)
  const ok = signTransfer(CHAIN, alice, { to: carol.publicKey, amount: 100, nonce: 0 })
  const transfer = decodeTransfer(ok)
  const badSig = encodeTransfer({ ...transfer, nonce: 1, signature: transfer.signature })
  const wrongChain = signTransfer('other-chain', alice, { to: carol.publicKey, amount: 1, nonce: 1 })
  const signedByOther = encodeTransfer({ ...decodeTransfer(signTransfer(CHAIN, bob, { to: carol.publicKey, amount: 1, nonce: 1 })), from: alice.publicKey })
  const cases: Array<[Uint8Array, string]> = [
    [ok, TokenReceiptCode.OK],
    [ok, TokenReceiptCode.BAD_NONCE], // replay of the same transfer
    [new Uint8Array([1, 2, 3]), TokenReceiptCode.MALFORMED],
    [Uint8Array.from([...ok, 0]), TokenReceiptCode.MALFORMED], // trailing byte
    [encodeTransfer({ ...transfer, version: 2 as 1 }), TokenReceiptCode.MALFORMED],
    [signTransfer(CHAIN, alice, { to: carol.publicKey, amount: 0, nonce: 1 }), TokenReceiptCode.ZERO_AMOUNT],
    [badSig, TokenReceiptCode.BAD_SIGNATURE],
    [wrongChain, TokenReceiptCode.BAD_SIGNATURE],
    [signedByOther, TokenReceiptCode.BAD_SIGNATURE],
    [signTransfer(CHAIN, new Ed25519Signer(generateKeyPair().seed), { to: carol.publicKey, amount: 1, nonce: 0 }), TokenReceiptCode.UNKNOWN_ACCOUNT],
    [signTransfer(CHAIN, alice, { to: carol.publicKey, amount: 1, nonce: 5 }), TokenReceiptCode.BAD_NONCE],
    [signTransfer(CHAIN, bob, { to: carol.publicKey, amount: 51, nonce: 0 }), TokenReceiptCode.INSUFFICIENT_BALANCE],
    [signTransfer(CHAIN, bob, { to: carol.publicKey, amount: 50, nonce: 0 }), TokenReceiptCode.OK], // all of it
    [signTransfer(CHAIN, carol, { to: carol.publicKey, amount: 30, nonce: 0 }), TokenReceiptCode.OK], // to itself
    [signTransfer(CHAIN, carol, { to: alice.publicKey, amount: 150, nonce: 1 }), TokenReceiptCode.OK]
  ]
  const leaves = cases.map(([payload], i) => leaf(payload, new Uint8Array(32).fill(i), i % 2))
  const c = await token.executeSlice(makeSlice(ROLLUP, 0, leaves))
  t.equal(c.height, 0)
  const receipts = (await token.receipts(0))!
  t.same(receipts.map((r) => r.code), cases.map(([, code]) => code))
  t.same(receipts.map((r) => hex(r.txHash)), leaves.map((l) => hex(l.txHash)), 'receipts follow slice order, by tx hash')
  t.same(receipts.map((r) => r.actionIndex), leaves.map((l) => l.actionIndex))
  t.equal(token.balance(alice.publicKey), 1050)
  t.equal(token.balance(bob.publicKey), 0)
  t.equal(token.balance(carol.publicKey), 0)
  t.equal(token.nonce(alice.publicKey), 1)
  t.equal(token.nonce(bob.publicKey), 1)
  t.equal(token.nonce(carol.publicKey), 2, 'a transfer to oneself still uses the nonce')
  t.equal(token.totalSupply(), 1050)
})

t.test('state, commitment and receipts survive a reopen; heights must follow each other', async (t) => {
  const tmp = await makeTempDir()
  t.teardown(tmp.remove)
  const dir = join(tmp.dir, 'token')
  const first = new TokenRollup({ rollupId: ROLLUP, dir, chainId: CHAIN, genesis })
  await first.open()
  await first.executeSlice(makeSlice(ROLLUP, 0, [signTransfer(CHAIN, alice, { to: carol.publicKey, amount: 10, nonce: 0 })]))
  const emptyRoot = first.commitment().stateRoot
  const c1 = await first.executeSlice(makeSlice(ROLLUP, 1))
  t.equal(hex(c1.stateRoot), hex(emptyRoot), 'an empty slice keeps the root')
  t.same(await first.receipts(1), [], 'an executed empty height has no receipts')
  await rejectsWithCode(t, first.executeSlice(makeSlice(ROLLUP, 1)), RollupErrorCode.WRONG_SLICE, 'a height twice is refused')
  await rejectsWithCode(t, first.executeSlice(makeSlice(ROLLUP, 3)), RollupErrorCode.WRONG_SLICE, 'a gap is refused')
  await rejectsWithCode(t, first.executeSlice(makeSlice(ROLLUP + 1, 2)), RollupErrorCode.WRONG_SLICE, 'another rollup is refused')
  await first.close()
  await first.close()
  await rejectsWithCode(t, first.executeSlice(makeSlice(ROLLUP, 2)), RollupErrorCode.NOT_OPEN)

  const again = new TokenRollup({ rollupId: ROLLUP, dir, chainId: CHAIN, genesis })
  t.teardown(() => again.close())
  const c = await again.open()
  t.equal(c.height, 1)
  t.equal(hex(c.stateRoot), hex(c1.stateRoot))
  t.equal(again.balance(carol.publicKey), 10)
  t.equal(again.nonce(alice.publicKey), 1)
  t.same((await again.receipts(0))!.map((r) => r.code), ['OK'])
  t.equal(await again.receipts(2), null)
})

t.test('a folder is bound to its chain, rollup and genesis', async (t) => {
  const tmp = await makeTempDir()
  t.teardown(tmp.remove)
  const dir = join(tmp.dir, 'token')
  const token = new TokenRollup({ rollupId: ROLLUP, dir, chainId: CHAIN, genesis })
  await token.open()
  await token.close()
  await rejectsWithCode(t, new TokenRollup({ rollupId: ROLLUP, dir, chainId: 'other', genesis }).open(), RollupErrorCode.WRONG_GENESIS)
  await rejectsWithCode(t, new TokenRollup({ rollupId: ROLLUP + 1, dir, chainId: CHAIN, genesis }).open(), RollupErrorCode.WRONG_GENESIS)
  await rejectsWithCode(t, new TokenRollup({ rollupId: ROLLUP, dir, chainId: CHAIN, genesis: genesis.slice(1) }).open(), RollupErrorCode.WRONG_GENESIS)
  await rejectsWithCode(t, createBuiltinRollup('kv', { rollupId: ROLLUP, dir, chainId: CHAIN }).open(), RollupErrorCode.WRONG_GENESIS)
  const reordered = new TokenRollup({ rollupId: ROLLUP, dir, chainId: CHAIN, genesis: [...genesis].reverse() })
  t.equal((await reordered.open()).height, -1, 'the allocation order does not matter')
  await reordered.close()
})

t.test('a folder whose state does not match its commitment is refused', async (t) => {
  const tmp = await makeTempDir()
  t.teardown(tmp.remove)
  const dir = join(tmp.dir, 'token')
  const token = new TokenRollup({ rollupId: ROLLUP, dir, chainId: CHAIN, genesis })
  await token.open()
  await token.close()
  const db = new Level<Uint8Array, Uint8Array>(dir, { keyEncoding: 'view', valueEncoding: 'view' })
  await db.put(Uint8Array.from([0x02, ...carol.publicKey]), Uint8Array.from([0x92, 5, 0])) // 5 tokens from nowhere
  await db.close()
  await rejectsWithCode(t, new TokenRollup({ rollupId: ROLLUP, dir, chainId: CHAIN, genesis }).open(), RollupErrorCode.STORE)
})

t.test('genesis allocations are checked', (t) => {
  const a = hex(alice.publicKey)
  t.same(parseTokenGenesis([{ account: a.toUpperCase(), balance: 1 }]), [{ account: a, balance: 1 }], 'hex is normalised')
  for (const [bad, why] of [
    [{}, 'not an array'],
    [[{ account: 'zz', balance: 1 }], 'bad hex'],
    [[{ account: a.slice(2), balance: 1 }], 'short key'],
    [[{ account: a, balance: -1 }], 'negative'],
    [[{ account: a, balance: 1.5 }], 'fraction'],
    [[{ account: a, balance: 1, extra: true }], 'unknown field'],
    [[{ account: a, balance: 1 }, { account: a, balance: 2 }], 'twice'],
    [[{ account: a, balance: Number.MAX_SAFE_INTEGER }, { account: hex(bob.publicKey), balance: 1 }], 'supply over 2^53-1']
  ] as Array<[unknown, string]>) {
    throwsWithCode(t, () => parseTokenGenesis(bad), RollupErrorCode.BAD_CONFIG, why)
  }
  throwsWithCode(t, () => createBuiltinRollup('token', { rollupId: 1, dir: '/nonexistent', chainId: CHAIN, genesis: [{ account: 'x', balance: 1 }] }), RollupErrorCode.BAD_CONFIG, 'createBuiltinRollup checks the genesis')
  throwsWithCode(t, () => createBuiltinRollup('nft', { rollupId: 1, dir: '/nonexistent', chainId: CHAIN }), RollupErrorCode.BAD_CONFIG, 'unknown kind')
  throwsWithCode(t, () => createBuiltinRollup('kv', { rollupId: 1, dir: '/nonexistent', chainId: CHAIN, genesis: [] }), RollupErrorCode.BAD_CONFIG, 'kv takes no genesis')
  t.end()
})
