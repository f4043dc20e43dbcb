export { createCommitteeTransport } from './committee-network.js'
export { defaultCommitteeTransportOptions } from './committee-options.js'
export { P2PError, P2PErrorCode } from './errors.js'
export { createMemoryP2PMetrics, MemoryCounter, type MemoryP2PMetrics } from './metrics.js'
export { CHUNK_ID_BYTES } from './chunks.js'
export { defaultCommitteeTraffic, defaultPeerGuardOptions, frameLimitsFor, p2pRejectPolicies, p2pPenaltyOf, peerLabel, type P2PRejectCode, type P2PRejectPolicy, type PeerVerdict, type CommitteeTrafficBound, type PeerGuardOptions, type PeerStanding } from './peer-guard.js'
export { NetworkIsolation, type IsolationState } from './isolation.js'
export type {
  ChunkValidator, ChunkVerdict, CommitteeTransport, CommitteeTransportOptions, MessageHandler, P2PCounter, P2PMetrics,
  PeerAddress, RequestHandler
} from './types.js'
