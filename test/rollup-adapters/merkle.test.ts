/** State-root Merkle tree: RFC 6962 vectors, and the incremental MerkleTable against a full recompute. */
import t from 'tap'
import fc from 'fast-check'
import { EMPTY_MERKLE_ROOT, MerkleTable, merkleLeafHash, merkleRoot } from '../../src/rollup-adapters/index.js'
import { hex } from './helpers.js'

// Certificate Transparency test vectors (RFC 6962 tree hash): leaves and the roots of the
// first 1..8 leaves, as in google/certificate-transparency-go merkle tests.
const CT_LEAVES = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f']
const CT_ROOTS = [
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328'
]

t.test('merkleRoot is the RFC 6962 tree hash', (t) => {
  t.equal(hex(merkleRoot([])), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', 'empty tree: SHA-256 of nothing')
  t.equal(hex(EMPTY_MERKLE_ROOT), hex(merkleRoot([])))
  const leafHashes = CT_LEAVES.map((l) => merkleLeafHash(Buffer.from(l, 'hex')))
  CT_ROOTS.forEach((root, i) => t.equal(hex(merkleRoot(leafHashes.slice(0, i + 1))), root, `${i + 1} leaves`))
  t.end()
})

type Op = { kind: 'set', key: number[], value: number } | { kind: 'delete', key: number[] }

const keyArb = fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 0, maxLength: 3 }) // small alphabet: collisions and prefixes
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), key: keyArb, value: fc.integer({ min: 0, max: 5 }) }),
  fc.record({ kind: fc.constant('delete' as const), key: keyArb })
)

t.test('MerkleTable keeps the root of its entries sorted by key bytes, updated or rebuilt', (t) => {
  const entryBytes = (key: Uint8Array, value: number): Uint8Array => Uint8Array.from([...key, 0xff, value])
  fc.assert(fc.property(fc.array(fc.array(opArb, { maxLength: 12 }), { maxLength: 8 }), (rounds) => {
    const table = new MerkleTable<number>(entryBytes)
    const model = new Map<string, { key: Uint8Array, value: number }>()
    for (const ops of rounds) {
      for (const op of ops) {
        const key = Uint8Array.from(op.key)
        const id = Buffer.from(key).toString('latin1')
        if (op.kind === 'set') { table.set(key, op.value); model.set(id, { key, value: op.value }) } else {
          if (table.delete(key) !== model.delete(id)) return false
        }
      }
      const sorted = [...model.values()].sort((a, b) => Buffer.compare(a.key, b.key))
      const expected = merkleRoot(sorted.map((e) => merkleLeafHash(entryBytes(e.key, e.value))))
      if (hex(table.root()) !== hex(expected)) return false
      if (table.size !== model.size) return false
      if (JSON.stringify(table.entries().map((e) => [...e.key])) !== JSON.stringify(sorted.map((e) => [...e.key]))) return false
    }
    return true
  }), { numRuns: 200 })
  t.end()
})
