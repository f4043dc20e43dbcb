import { sha256 } from '../crypto/index.js'
import { createNmt } from './nmt.js'

/** NMT over node:crypto SHA-256 (browser code builds its own with createNmt and noble). */
export const nodeNmt = createNmt(sha256)
