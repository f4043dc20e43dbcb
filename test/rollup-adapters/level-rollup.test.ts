/** LevelRollup: a height that fails mid-way leaves no trace, and the executor insists on a re-open. */
import t from 'tap'
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { bytesToHex } from '../../src/crypto/index.js'
import { KvRollup, LevelRollup, RollupErrorCode, type StateMachine } from '../../src/rollup-adapters/index.js'
import { rejectsWithCode } from '../helpers/assert-error.js'
import { makeTempDir } from '../helpers/temp-dir.js'
import { CHAIN, hex, makeSlice } from './helpers.js'

/** A counter per key; payload [k] adds 1 to key k; payload [0xff] is a bug (throws) after it changed the state. */
const counter: StateMachine<number> = {
  identity: new Uint8Array(32),
  encodeValue: (v) => Uint8Array.of(v),
  decodeValue: (b) => b[0]!,
  entryBytes: (k, v) => Uint8Array.from([...k, v]),
  genesis: () => [],
  apply: (state, leaf) => {
    const key = Uint8Array.of(leaf.payload[0]!)
    state.set(key, (state.get(key) ?? 0) + 1)
    if (leaf.payload[0] === 0xff) throw new Error('executor bug')
    return 'OK'
  }
}

t.test('a failure after the state changed in memory: refused until re-opened, then nothing of it remains', async (t) => {
  const tmp = await makeTempDir()
  t.teardown(tmp.remove)
  const rollup = new LevelRollup(1, join(tmp.dir, 'r'), counter)
  t.teardown(() => rollup.close())
  await rollup.open()
  const c0 = await rollup.executeSlice(makeSlice(1, 0, [Uint8Array.of(1), Uint8Array.of(2)]))
  await t.rejects(rollup.executeSlice(makeSlice(1, 1, [Uint8Array.of(1), Uint8Array.of(0xff)])), /executor bug/)
  await rejectsWithCode(t, rollup.executeSlice(makeSlice(1, 1, [Uint8Array.of(1)])), RollupErrorCode.NOT_OPEN)
  await rollup.close()
  const c = await rollup.open()
  t.same(c, c0, 'the durable commitment is that of height 0')
  t.same(rollup.entries().map((e) => [hex(e.key), e.value]), [['01', 1], ['02', 1]], 'the half-applied height is gone')
  const c1 = await rollup.executeSlice(makeSlice(1, 1, [Uint8Array.of(1)]))
  t.equal(c1.height, 1)
  t.same(rollup.entries().map((e) => e.value), [2, 1])
})

t.test('heights are not fsynced one by one: after a process kill the folder holds the last height it reported, empty ones included (exactly once)', async (t) => {
  const tmp = await makeTempDir()
  t.teardown(tmp.remove)
  const dir = join(tmp.dir, 'kv')
  const child = fileURLToPath(new URL('./kill-child.ts', import.meta.url))
  const { stdout, signal } = await new Promise<{ stdout: string, signal: string | null }>((resolve) => {
    let out = ''
    const p = spawn(process.execPath, ['--import', 'tsx', child, dir], { stdio: ['ignore', 'pipe', 'inherit'] })
    p.stdout.on('data', (d: Buffer) => { out += d.toString() })
    p.once('exit', (_code, sig) => resolve({ stdout: out, signal: sig }))
  })
  t.equal(signal, 'SIGKILL', 'the child died without closing the folder')
  const rootAt4 = stdout.trim()
  const kv = new KvRollup({ rollupId: 2, dir, chainId: CHAIN })
  t.teardown(() => kv.close())
  const c = await kv.open()
  t.equal(c.height, 4, 'every reported height survived the kill (written, not synced), the empty ones too: nothing runs twice')
  t.equal(bytesToHex(kv.commitment().stateRoot), rootAt4, 'the root it reported')
  t.same(kv.entries().map((e) => [hex(e.key), hex(e.value.value)]), [['00', '01'], ['02', '03']], 'heights 0 and 2 applied once each')
  await kv.close()
  const again = await kv.open()
  t.equal(again.height, 4)
})
