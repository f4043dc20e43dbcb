/** Node key files: JSON with hex public key and seed, written with mode 0600. */
import { readFile, writeFile, chmod, stat } from 'node:fs/promises'
import { publicKeyFromSeed, type KeyPair, SEED_LENGTH } from './ed25519.js'
import { bytesToHex, hexToBytes } from './hex.js'
import { CodedError } from '../util/index.js'

export const KeyFileErrorCode = {
  /** the file's mode lets others read the seed */
  UNSAFE_MODE: 'KEY_FILE_UNSAFE_MODE',
  /** not the JSON we write, or a seed and public key that do not match */
  INVALID: 'KEY_FILE_INVALID'
} as const
export type KeyFileErrorCode = (typeof KeyFileErrorCode)[keyof typeof KeyFileErrorCode]

export class KeyFileError extends CodedError<KeyFileErrorCode> {
  constructor (code: KeyFileErrorCode, readonly path: string, message: string) {
    super(code, `key file ${path}: ${message}`, { path })
    this.name = 'KeyFileError'
  }
}

export async function saveKeyFile (path: string, key: KeyPair): Promise<void> {
  const body = JSON.stringify({ type: 'ed25519', publicKey: bytesToHex(key.publicKey), seed: bytesToHex(key.seed) }, null, 2)
  await writeFile(path, body + '\n', { mode: 0o600, flag: 'wx' })
  await chmod(path, 0o600)
}

export async function loadKeyFile (path: string): Promise<KeyPair> {
  const info = await stat(path)
  if ((info.mode & 0o077) !== 0) throw new KeyFileError(KeyFileErrorCode.UNSAFE_MODE, path, `mode ${(info.mode & 0o777).toString(8)} lets others read it; run chmod 600`)
  let parsed: unknown
  try {
    parsed = JSON.parse(await readFile(path, 'utf8'))
  } catch (err) {
    throw new KeyFileError(KeyFileErrorCode.INVALID, path, `not valid JSON (${(err as Error).message})`)
  }
  const { type, seed, publicKey } = (parsed ?? {}) as Record<string, unknown>
  if (type !== 'ed25519' || typeof seed !== 'string' || typeof publicKey !== 'string') {
    throw new KeyFileError(KeyFileErrorCode.INVALID, path, 'expected {"type":"ed25519","publicKey":hex,"seed":hex}')
  }
  const seedBytes = hexToBytes(seed)
  if (seedBytes === null || seedBytes.length !== SEED_LENGTH) throw new KeyFileError(KeyFileErrorCode.INVALID, path, 'seed must be 32 bytes of hex')
  const derived = publicKeyFromSeed(seedBytes)
  if (bytesToHex(derived) !== publicKey.toLowerCase()) throw new KeyFileError(KeyFileErrorCode.INVALID, path, 'public key does not match the seed')
  return { seed: seedBytes, publicKey: derived }
}
