/** A fresh folder under the OS temp dir; the caller removes it (usually in t.teardown). */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export interface TempDir {
  dir: string
  remove: () => Promise<void>
}

export async function makeTempDir (prefix = 'seqnode-test-'): Promise<TempDir> {
  const dir = await mkdtemp(join(tmpdir(), prefix))
  return { dir, remove: async () => { await rm(dir, { recursive: true, force: true, maxRetries: 5 }) } }
}
