export { DomainTag, domainMessage, domainPrefix } from './domain.js'
export { sha256 } from './hash.js'
export {
  Ed25519Signer, ed25519Ops, generateKeyPair, publicKeyFromSeed, verifyEd25519,
  PUBLIC_KEY_LENGTH, SEED_LENGTH, SIGNATURE_LENGTH, type KeyPair
} from './ed25519.js'
export { saveKeyFile, loadKeyFile, KeyFileError, KeyFileErrorCode } from './key-file.js'
export { bytesToHex, hexToBytes, equalBytes } from './hex.js'
