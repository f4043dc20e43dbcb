/**
 * src/crypto: sha256 and ed25519 known answers, node:crypto <-> noble interop, verification
 * that fails closed, domain separation, and key files.
 */
import t from 'tap'
import fc from 'fast-check'
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { ed25519 } from '@noble/curves/ed25519.js'
import {
  DomainTag, domainMessage, sha256, Ed25519Signer, generateKeyPair, publicKeyFromSeed, verifyEd25519,
  saveKeyFile, loadKeyFile, KeyFileError, bytesToHex, hexToBytes, equalBytes
} from '../../src/crypto/index.js'
import { rejectsWithCode } from '../helpers/assert-error.js'

const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex')
const bytes = (h: string): Uint8Array => new Uint8Array(Buffer.from(h, 'hex'))

t.test('sha256 known answers', (t) => {
  t.equal(hex(sha256(new Uint8Array(0))), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', "sha256('')")
  t.equal(hex(sha256(new TextEncoder().encode('abc'))), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad', "sha256('abc')")
  t.equal(
    hex(sha256(new TextEncoder().encode('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq'))),
    '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
    'sha256 of the 448-bit NIST message (two blocks)'
  )
  // a view into a larger buffer hashes only its own bytes
  const outer = new TextEncoder().encode('xxabcxx')
  t.equal(hex(sha256(outer.subarray(2, 5))), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad', 'sha256 of a subarray')
  t.end()
})

// RFC 8032 section 7.1, TEST 1 and TEST 2
const RFC8032 = [
  {
    name: 'TEST 1',
    seed: '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60',
    publicKey: 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
    message: '',
    signature: 'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b'
  },
  {
    name: 'TEST 2',
    seed: '4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb',
    publicKey: '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c',
    message: '72',
    signature: '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00'
  }
]

t.test('ed25519 RFC 8032 vectors: seed -> public key -> signature', (t) => {
  for (const v of RFC8032) {
    const seed = bytes(v.seed)
    t.equal(hex(publicKeyFromSeed(seed)), v.publicKey, `${v.name}: publicKeyFromSeed`)
    const signer = new Ed25519Signer(seed)
    t.equal(hex(signer.publicKey), v.publicKey, `${v.name}: signer public key`)
    t.equal(hex(signer.sign(bytes(v.message))), v.signature, `${v.name}: signature bytes`)
    t.equal(verifyEd25519(bytes(v.publicKey), bytes(v.message), bytes(v.signature)), true, `${v.name}: verifies`)
  }
  t.end()
})

t.test('node:crypto and noble signatures are interchangeable', (t) => {
  for (let i = 0; i < 24; i++) {
    const { seed, publicKey } = generateKeyPair()
    t.equal(seed.length, 32)
    t.equal(hex(publicKey), hex(ed25519.getPublicKey(seed)), `key ${i}: same public key as noble`)
    const message = randomBytes(i * 13)
    const ours = new Ed25519Signer(seed).sign(message)
    t.ok(ed25519.verify(ours, message, publicKey), `key ${i}: noble verifies our signature`)
    const theirs = ed25519.sign(message, seed)
    t.ok(verifyEd25519(publicKey, message, theirs), `key ${i}: we verify noble's signature`)
    t.equal(hex(ours), hex(theirs), `key ${i}: identical bytes (ed25519 is deterministic)`)
  }
  t.end()
})

t.test('verifyEd25519 returns false, never throws, on bad input', (t) => {
  const { seed, publicKey } = generateKeyPair()
  const message = new TextEncoder().encode('seq vote')
  const signature = new Ed25519Signer(seed).sign(message)
  t.equal(verifyEd25519(publicKey, message, signature), true, 'the untouched triple verifies')

  const falseCase = (what: string, pk: Uint8Array, msg: Uint8Array, sig: Uint8Array): void => {
    let result: unknown
    try {
      result = verifyEd25519(pk, msg, sig)
    } catch (err) {
      t.fail(`${what}: threw ${(err as Error).message}`)
      return
    }
    t.equal(result, false, what)
  }
  falseCase('empty key', new Uint8Array(0), message, signature)
  falseCase('31-byte key', publicKey.subarray(0, 31), message, signature)
  falseCase('33-byte key', Uint8Array.of(...publicKey, 0), message, signature)
  falseCase('empty signature', publicKey, message, new Uint8Array(0))
  falseCase('63-byte signature', publicKey, message, signature.subarray(0, 63))
  falseCase('65-byte signature', publicKey, message, Uint8Array.of(...signature, 0))
  falseCase('wrong message', publicKey, new TextEncoder().encode('seq vote!'), signature)
  falseCase('empty message', publicKey, new Uint8Array(0), signature)
  falseCase('another key', generateKeyPair().publicKey, message, signature)
  for (const bit of [0, 7, 100, 255, 256, 300, 511]) {
    const flipped = Uint8Array.from(signature)
    flipped[bit >> 3]! ^= 1 << (bit & 7)
    falseCase(`signature bit ${bit} flipped`, publicKey, message, flipped)
  }
  for (const bit of [0, 9, 254, 255]) {
    const flipped = Uint8Array.from(publicKey)
    flipped[bit >> 3]! ^= 1 << (bit & 7)
    falseCase(`public key bit ${bit} flipped`, flipped, message, signature)
  }
  const flippedMessage = Uint8Array.from(message)
  flippedMessage[0]! ^= 1
  falseCase('message bit flipped', publicKey, flippedMessage, signature)
  falseCase('all-0xff key (not a canonical point)', new Uint8Array(32).fill(0xff), message, signature)
  falseCase('all-zero key', new Uint8Array(32), message, signature)
  falseCase('all-zero signature', publicKey, message, new Uint8Array(64))
  let garbage = 0
  for (let i = 0; i < 64; i++) {
    const key = randomBytes(32)
    let result: unknown
    try {
      result = verifyEd25519(key, message, signature)
    } catch (err) {
      t.fail(`random key ${hex(key)} threw ${(err as Error).message}`)
      continue
    }
    if (result === false) garbage++
  }
  t.equal(garbage, 64, 'random 32-byte keys (mostly not curve points) all give false')

  // S + L: same signature, malleated scalar; RFC 8032 requires S < L
  const L = (1n << 252n) + 27742317777372353535851937790883648493n
  let s = 0n
  for (let i = 31; i >= 0; i--) s = (s << 8n) | BigInt(signature[32 + i]!)
  const malleated = Uint8Array.from(signature)
  let sPlusL = s + L
  for (let i = 0; i < 32; i++) { malleated[32 + i] = Number(sPlusL & 0xffn); sPlusL >>= 8n }
  falseCase('signature with S + L (malleated)', publicKey, message, malleated)
  t.end()
})

t.test('verifyEd25519 accepts views into larger buffers', (t) => {
  const { seed, publicKey } = generateKeyPair()
  const message = randomBytes(40)
  const signature = new Ed25519Signer(seed).sign(message)
  const pack = Buffer.concat([Buffer.of(1, 2, 3), publicKey, signature, message])
  const pk = pack.subarray(3, 35)
  const sig = pack.subarray(35, 99)
  const msg = pack.subarray(99)
  t.equal(verifyEd25519(pk, msg, sig), true)
  t.end()
})

t.test('domain messages: layout and separation', (t) => {
  const body = Uint8Array.of(0xde, 0xad)
  const m = domainMessage(DomainTag.tx, 'devnet', body)
  t.equal(hex(m), '09' + Buffer.from('seq/tx/v1').toString('hex') + '06' + Buffer.from('devnet').toString('hex') + 'dead', 'len(tag) tag len(chain) chain body')

  const tags = Object.values(DomainTag)
  t.equal(new Set(tags.map((tag) => hex(domainMessage(tag, 'devnet', body)))).size, tags.length, 'each tag gives different bytes')
  t.not(hex(domainMessage(DomainTag.vote, 'devnet', body)), hex(domainMessage(DomainTag.vote, 'testnet', body)), 'chain ids give different bytes')
  t.not(hex(domainMessage(DomainTag.vote, '', body)), hex(domainMessage(DomainTag.vote, 'x', body)), 'empty chain id differs')

  const cast = (s: string): DomainTag => s as DomainTag
  const pairs: Array<[[string, string, string], [string, string, string]]> = [
    [['a', 'bc', ''], ['ab', 'c', '']],
    [['a', 'b', 'c'], ['a', 'bc', '']],
    [['', 'ab', ''], ['a', 'b', '']],
    [['seq/tx/v1', 'x', 'y'], ['seq/tx/v1', 'xy', '']]
  ]
  const enc = new TextEncoder()
  for (const [[t1, c1, b1], [t2, c2, b2]] of pairs) {
    const a = domainMessage(cast(t1), c1, enc.encode(b1))
    const b = domainMessage(cast(t2), c2, enc.encode(b2))
    t.not(hex(a), hex(b), `(${t1}|${c1}|${b1}) vs (${t2}|${c2}|${b2}) differ`)
  }

  // injective over small alphabets (where concatenations collide most)
  const part = fc.string({ unit: fc.constantFrom('a', 'b', 'é'), maxLength: 4 })
  fc.assert(fc.property(part, part, part, part, fc.uint8Array({ maxLength: 3 }), fc.uint8Array({ maxLength: 3 }), (t1, c1, t2, c2, b1, b2) => {
    const same = hex(domainMessage(cast(t1), c1, b1)) === hex(domainMessage(cast(t2), c2, b2))
    return same === (t1 === t2 && c1 === c2 && hex(b1) === hex(b2))
  }), { numRuns: 3000 })
  t.pass('equal messages only from equal (tag, chain id, body)')

  t.equal(domainMessage(DomainTag.tx, 'é', body)[10], 2, 'the chain id length is in UTF-8 bytes')
  t.throws(() => domainMessage(DomainTag.tx, 'x'.repeat(256), body), RangeError, 'chain ids above 255 bytes are refused')
  t.doesNotThrow(() => domainMessage(DomainTag.tx, 'x'.repeat(255), body), '255 bytes is fine')
  t.throws(() => domainMessage(DomainTag.tx, 'é'.repeat(128), body), RangeError, '128 two-byte characters are 256 bytes')
  t.end()
})

t.test('hex helpers', (t) => {
  t.equal(bytesToHex(Uint8Array.of(0, 15, 255)), '000fff')
  t.same(hexToBytes('0x000fFF'), Uint8Array.of(0, 15, 255))
  t.equal(hexToBytes('abc'), null, 'odd length')
  t.equal(hexToBytes('zz'), null, 'not hex')
  t.ok(equalBytes(Uint8Array.of(1, 2), Uint8Array.of(1, 2)))
  t.notOk(equalBytes(Uint8Array.of(1, 2), Uint8Array.of(1, 3)))
  t.notOk(equalBytes(Uint8Array.of(1, 2), Uint8Array.of(1, 2, 3)))
  t.end()
})

t.test('key files', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'seq-keyfile-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))

  t.test('save then load round-trips, with mode 0600', async (t) => {
    const path = join(dir, 'node.key')
    const key = generateKeyPair()
    await saveKeyFile(path, key)
    t.equal((await stat(path)).mode & 0o777, 0o600, 'mode is 0600')
    const loaded = await loadKeyFile(path)
    t.equal(hex(loaded.seed), hex(key.seed), 'same seed')
    t.equal(hex(loaded.publicKey), hex(key.publicKey), 'same public key')
    const parsed = JSON.parse(await readFile(path, 'utf8'))
    t.same(parsed, { type: 'ed25519', publicKey: hex(key.publicKey), seed: hex(key.seed) }, 'documented JSON layout')
  })

  t.test('saving refuses to overwrite an existing file', async (t) => {
    const path = join(dir, 'existing.key')
    const first = generateKeyPair()
    await saveKeyFile(path, first)
    await rejectsWithCode(t, saveKeyFile(path, generateKeyPair()), 'EEXIST', 'second save is refused with EEXIST')
    t.equal(hex((await loadKeyFile(path)).seed), hex(first.seed), 'the first key is intact')
  })

  const writeKeyJson = async (name: string, body: string, mode = 0o600): Promise<string> => {
    const path = join(dir, name)
    await writeFile(path, body, { mode })
    await chmod(path, mode)
    return path
  }
  const validJson = (key = generateKeyPair()): string => JSON.stringify({ type: 'ed25519', publicKey: hex(key.publicKey), seed: hex(key.seed) })

  t.test('load refuses group- or world-readable files', async (t) => {
    for (const mode of [0o640, 0o604, 0o644, 0o660, 0o601, 0o610]) {
      const path = await writeKeyJson(`mode-${mode.toString(8)}.key`, validJson(), mode)
      await t.rejects(loadKeyFile(path), KeyFileError, `mode ${mode.toString(8)} refused`)
      await t.rejects(loadKeyFile(path), { message: /chmod 600/ }, `mode ${mode.toString(8)}: message says how to fix it`)
    }
    const path = await writeKeyJson('mode-400.key', validJson(), 0o400)
    await t.resolves(loadKeyFile(path), 'mode 0400 (owner read-only) is fine')
  })

  t.test('load refuses a public key that does not match the seed', async (t) => {
    const a = generateKeyPair()
    const b = generateKeyPair()
    const path = await writeKeyJson('mismatch.key', JSON.stringify({ type: 'ed25519', publicKey: hex(b.publicKey), seed: hex(a.seed) }))
    await t.rejects(loadKeyFile(path), { name: 'KeyFileError', message: /does not match/ })
  })

  t.test('load accepts upper-case hex for the public key', async (t) => {
    const key = generateKeyPair()
    const path = await writeKeyJson('upper.key', JSON.stringify({ type: 'ed25519', publicKey: hex(key.publicKey).toUpperCase(), seed: hex(key.seed) }))
    t.equal(hex((await loadKeyFile(path)).publicKey), hex(key.publicKey))
  })

  t.test('load refuses bad JSON and bad fields', async (t) => {
    const key = generateKeyPair()
    const cases: Array<[string, string, RegExp]> = [
      ['not JSON', '{"type": "ed25519", ', /not valid JSON/],
      ['empty file', '', /not valid JSON/],
      ['JSON null', 'null', /expected/],
      ['a JSON array', '[]', /expected/],
      ['wrong type', JSON.stringify({ type: 'secp256k1', publicKey: hex(key.publicKey), seed: hex(key.seed) }), /expected/],
      ['missing seed', JSON.stringify({ type: 'ed25519', publicKey: hex(key.publicKey) }), /expected/],
      ['seed not hex', JSON.stringify({ type: 'ed25519', publicKey: hex(key.publicKey), seed: 'zz'.repeat(32) }), /32 bytes/],
      ['seed too short', JSON.stringify({ type: 'ed25519', publicKey: hex(key.publicKey), seed: hex(key.seed).slice(2) }), /32 bytes/]
    ]
    for (const [what, body, message] of cases) {
      const path = await writeKeyJson(`bad-${what.replace(/\W+/g, '-')}.key`, body)
      await t.rejects(loadKeyFile(path), { name: 'KeyFileError', message }, what)
    }
  })

  t.test('load of a missing file fails with ENOENT', async (t) => {
    await rejectsWithCode(t, () => loadKeyFile(join(dir, 'missing.key')), 'ENOENT')
  })
})
