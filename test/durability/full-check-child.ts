/**
 * Runs the full store check of one data folder of the durability chain in its own process and
 * says how it ended on stdout: `consistent`, or the error's code and message. Its own process
 * because LevelDB (classic-level does not expose verify_checksums) may assert and abort the
 * whole process on bytes damaged inside a table file.
 */
import { ChainStore, checkStoreIntegrity } from '../../src/store/index.js'
import { crashGenesis, crashRules } from './crash-genesis.js'

const dir = process.argv[2]!
try {
  const store = await ChainStore.open(dir, crashGenesis.hash)
  try { await checkStoreIntegrity(store, crashRules, {}) } finally { await store.close() }
  process.stdout.write('consistent\n')
} catch (err) {
  process.stdout.write(`${(err as { code?: string }).code ?? 'NO_CODE'} ${(err as Error).message}\n`)
}
