import t from 'tap'
import { CodecErrorCode, decode, encode, TxSchema, BatchSchema } from '../../src/codec/index.js'
import { prescan } from '../../src/codec/prescan.js'
import { throwsWithCode } from '../helpers/assert-error.js'
import { makeTx } from '../helpers/txs.js'

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
