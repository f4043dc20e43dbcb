/**
 * Property tests of the token rollup: random slices of valid and invalid transfers.
 * Balances never go negative, the supply never changes, receipts and the state root agree
 * with an independent model, and replaying the same slices on a fresh instance gives the
 * same state root at every height.
 */
import t from 'tap'
import fc from 'fast-check'
import { join } from 'node:path'
import { Ed25519Signer, generateKeyPair } from '../../src/crypto/index.js'
import {
  TokenReceiptCode, TokenRollup, decodeTransfer, encodeTransfer, merkleLeafHash, merkleRoot, signTransfer, type VerifiedSlice
} from '../../src/rollup-adapters/index.js'
import { makeTempDir } from '../helpers/temp-dir.js'
import { CHAIN, hex, makeSlice } from './helpers.js'

const ROLLUP = 5
const SIGNERS = Array.from({ length: 4 }, () => new Ed25519Signer(generateKeyPair().seed))
const STRANGER = new Ed25519Signer(generateKeyPair().seed) // never funded
const GENESIS = [
  { account: hex(SIGNERS[0]!.publicKey), balance: 500 },
  { account: hex(SIGNERS[1]!.publicKey), balance: 80 },
  { account: hex(SIGNERS[2]!.publicKey), balance: 1 }
] // SIGNERS[3] starts unfunded
const SUPPLY = 581

type Kind = 'valid' | 'badNonce' | 'badSignature' | 'garbage' | 'zero' | 'overdraw' | 'stranger'
interface Step { kind: Kind, from: number, to: number, amount: number, nonceDelta: number }

const stepArb: fc.Arbitrary<Step> = fc.record({
  kind: fc.constantFrom<Kind>('valid', 'valid', 'valid', 'badNonce', 'badSignature', 'garbage', 'zero', 'overdraw', 'stranger'),
  from: fc.integer({ min: 0, max: SIGNERS.length - 1 }),
  to: fc.integer({ min: 0, max: SIGNERS.length }), // SIGNERS.length = the stranger
  amount: fc.integer({ min: 1, max: 200 }),
  nonceDelta: fc.constantFrom(-1, 1, 2)
})
const slicesArb = fc.array(fc.array(stepArb, { maxLength: 6 }), { minLength: 1, maxLength: 6 })

interface ModelAccount { balance: number, nonce: number }

/** An independent model: builds the payloads and predicts codes, balances and roots. */
function buildRun (steps: Step[][]): { slices: VerifiedSlice[], codes: string[][], roots: string[] } {
  const model = new Map<string, ModelAccount>(GENESIS.map((g) => [g.account, { balance: g.balance, nonce: 0 }]))
  const slices: VerifiedSlice[] = []
  const codes: string[][] = []
  const roots: string[] = []
  const accountOf = (i: number): Ed25519Signer => i === SIGNERS.length ? STRANGER : SIGNERS[i]!
  steps.forEach((heightSteps, height) => {
    const payloads: Uint8Array[] = []
    const expected: string[] = []
    for (const s of heightSteps) {
      const signer = s.kind === 'stranger' ? STRANGER : accountOf(s.from)
      const from = model.get(hex(signer.publicKey))
      const nonce = from?.nonce ?? 0
      const to = accountOf(s.to).publicKey
      let payload: Uint8Array
      let amount = s.amount
      if (s.kind === 'overdraw') amount = (from?.balance ?? 0) + s.amount
      if (s.kind === 'zero') amount = 0
      const useNonce = s.kind === 'badNonce' ? (nonce + s.nonceDelta >= 0 ? nonce + s.nonceDelta : nonce + 1) : nonce
      if (s.kind === 'garbage') {
        payload = Uint8Array.from([0x96, 1, s.amount])
      } else if (s.kind === 'badSignature') {
        const good = decodeTransfer(signTransfer(CHAIN, signer, { to, amount, nonce: useNonce }))
        payload = encodeTransfer({ ...good, amount: good.amount + 1 })
      } else {
        payload = signTransfer(CHAIN, signer, { to, amount, nonce: useNonce })
      }
      payloads.push(payload)
      // The rules, in order.
      let code: string
      if (s.kind === 'garbage') code = TokenReceiptCode.MALFORMED
      else if (amount === 0) code = TokenReceiptCode.ZERO_AMOUNT
      else if (s.kind === 'badSignature') code = TokenReceiptCode.BAD_SIGNATURE
      else if (from === undefined) code = TokenReceiptCode.UNKNOWN_ACCOUNT
      else if (useNonce !== from.nonce) code = TokenReceiptCode.BAD_NONCE
      else if (amount > from.balance) code = TokenReceiptCode.INSUFFICIENT_BALANCE
      else {
        code = TokenReceiptCode.OK
        from.balance -= amount
        from.nonce++
        const recipient = model.get(hex(to)) ?? { balance: 0, nonce: 0 }
        recipient.balance += amount
        model.set(hex(to), recipient)
      }
      expected.push(code)
    }
    slices.push(makeSlice(ROLLUP, height, payloads))
    codes.push(expected)
    const sorted = [...model.entries()].sort(([a], [b]) => a < b ? -1 : 1)
    roots.push(hex(merkleRoot(sorted.map(([account, v]) => merkleLeafHash(encodeEntry(account, v))))))
  })
  return { slices, codes, roots }
}

function encodeEntry (account: string, v: ModelAccount): Uint8Array {
  // [account bytes32, balance, nonce] as msgpack, written here without the rollup's schema.
  const int = (n: number): number[] => n < 128 ? [n] : n < 256 ? [0xcc, n] : [0xcd, n >> 8, n & 0xff]
  return Uint8Array.from([0x93, 0xc4, 32, ...Buffer.from(account, 'hex'), ...int(v.balance), ...int(v.nonce)])
}

t.test('random transfers: no negative balance, constant supply, model agreement, same roots on replay', async (t) => {
  const tmp = await makeTempDir()
  t.teardown(tmp.remove)
  let run = 0
  const seen = new Set<string>()
  await fc.assert(fc.asyncProperty(slicesArb, async (steps) => {
    const { slices, codes, roots } = buildRun(steps)
    for (const c of codes.flat()) seen.add(c)
    const results: string[][] = []
    for (const instance of ['a', 'b']) {
      const token = new TokenRollup({ rollupId: ROLLUP, dir: join(tmp.dir, `run-${run}-${instance}`), chainId: CHAIN, genesis: GENESIS })
      await token.open()
      try {
        const perHeight: string[] = []
        for (const slice of slices) {
          const c = await token.executeSlice(slice)
          perHeight.push(hex(c.stateRoot))
          const receipts = (await token.receipts(slice.height))!.map((r) => r.code)
          if (JSON.stringify(receipts) !== JSON.stringify(codes[slice.height])) throw new Error(`height ${slice.height}: receipts ${receipts.join()} expected ${codes[slice.height]!.join()}`)
          const balances = token.entries().map((e) => e.value.balance)
          if (balances.some((b) => !Number.isSafeInteger(b) || b < 0)) throw new Error(`negative balance at height ${slice.height}`)
          if (token.totalSupply() !== SUPPLY) throw new Error(`supply ${token.totalSupply()} at height ${slice.height}`)
        }
        results.push(perHeight)
      } finally {
        await token.close()
      }
      const reopened = new TokenRollup({ rollupId: ROLLUP, dir: join(tmp.dir, `run-${run}-${instance}`), chainId: CHAIN, genesis: GENESIS })
      const c = await reopened.open() // rebuilds the state from what each height wrote and checks its root
      await reopened.close()
      if (hex(c.stateRoot) !== results[results.length - 1]!.at(-1)) throw new Error('reopened root differs')
    }
    run++
    if (JSON.stringify(results[0]) !== JSON.stringify(results[1])) throw new Error('replay gave other roots')
    if (JSON.stringify(results[0]) !== JSON.stringify(roots)) throw new Error('roots differ from the model')
  }), { numRuns: 25 })
  t.pass(`${run} random runs`)
  t.same([...seen].sort(), Object.values(TokenReceiptCode).sort(), 'the runs hit every receipt code')
})
