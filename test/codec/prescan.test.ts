import t from 'tap'
import { CodecErrorCode, decode, encode, TxSchema, BatchSchema, SyncResponseSchema } from '../../src/codec/index.js'
import { prescan } from '../../src/codec/prescan.js'
import { throwsWithCode } from '../helpers/assert-error.js'
import { makeTx } from '../helpers/txs.js'
import { syncResponse } from './fixtures.js'

t.test('valid encodings pass the pre-scan', async (t) => {
  const { tx } = makeTx({ rollups: [1, 2, 3] })
  t.doesNotThrow(() => prescan(encode(TxSchema, tx)))
})

t.test('a message made of maps is refused before any object is built', async (t) => {
  const manyMaps = new Uint8Array(4 * 1024 * 1024 + 5)
  manyMaps.set([0xdd, 0x00, 0x40, 0x00, 0x00])
  manyMaps.fill(0x80, 5)
  const err = throwsWithCode(t, () => decode(BatchSchema, manyMaps), CodecErrorCode.WRONG_SHAPE) as Error
  t.match(err.message, /0x80 is not used/)
})

t.test('arrays that claim more elements than bytes left, nesting too deep, truncation', async (t) => {
  throwsWithCode(t, () => prescan(Uint8Array.of(0xdd, 0xff, 0xff, 0xff, 0xff, 0x01)), CodecErrorCode.MALFORMED, 'array longer than the input')
  throwsWithCode(t, () => prescan(new Uint8Array(20).fill(0x91)), CodecErrorCode.WRONG_SHAPE, 'nested too deep')
  throwsWithCode(t, () => prescan(Uint8Array.of(0xc4, 0x05, 1, 2)), CodecErrorCode.MALFORMED, 'bin longer than the input')
  throwsWithCode(t, () => prescan(Uint8Array.of(0x92, 0x01)), CodecErrorCode.MALFORMED, 'missing element')
  throwsWithCode(t, () => prescan(Uint8Array.of(0x01, 0x02)), CodecErrorCode.MALFORMED, 'trailing bytes')
})

t.test('the deepest message of the format passes: an action in a sync response', async (t) => {
  // SyncResponse > items > SyncItem > Batch > chunks > Chunk > txs > Tx > actions > Action: 10 arrays
  const bytes = encode(SyncResponseSchema, syncResponse)
  t.doesNotThrow(() => prescan(bytes))
  t.equal(decode(SyncResponseSchema, bytes).items[0]!.batch.chunks[0]!.txs[0]!.actions.length, 1)
  // ten nested one-element arrays around a zero pass, twenty are refused
  const nested = (depth: number): Uint8Array => Uint8Array.from([...new Array<number>(depth).fill(0x91), 0x00])
  t.doesNotThrow(() => prescan(nested(10)), '10 deep passes')
  throwsWithCode(t, () => prescan(nested(20)), CodecErrorCode.WRONG_SHAPE, '20 deep is refused')
})
