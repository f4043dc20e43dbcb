/** Small browser-safe helpers shared by every folder (and the SDK): one place for each. */
export { CodedError, type ErrorDetails } from './coded-error.js'
export { sleep } from './sleep.js'
export { backoffDelay } from './backoff.js'
export { TokenBucket } from './token-bucket.js'
