/** The node's HTTP + WebSocket API: server factory, JSON views and error mapping. */
export { createApiServer, defaultApiLimits, defaultApiServerOptions, type ApiLimits, type ApiServer, type ApiServerOptions } from './server.js'
export { createApiMetrics, type ApiMetrics } from './metrics.js'
export { ApiError, ApiErrorCode, admissionHttpStatus, toHttpError, type ErrorBody, type HttpError } from './errors.js'
export {
  base64ToBytes, batchToJson, bytesToBase64, certificateToJson, commitProofToJson, headerToJson, proofToJson,
  sliceToJson, txBytesFromJsonBody, txFromJson, txStatusToJson, txToJson,
  type ActionJson, type BatchHeaderJson, type BatchJson, type CertificateJson, type ChunkSummaryJson, type CommitProofJson,
  type NamespaceProofJson, type SliceJson, type SliceRangeJson, type SliceTxJson,
  type TxJson, type TxStatusJson
} from './json-views.js'
export { refuseBrowserOrigin, type DevControl, type DevFaultsJson, type DevFaultsRequest, type IsolationJson } from './routes-dev.js'
export { runSliceStream, type StreamFormat, type StreamSink } from './slice-stream.js'
export type {
  ApiBackend, NodeStatus, RollupInfo, RollupLatestJson, RollupStateJson, SliceWithLeaves, StoredBatch, SubmitResult, TxStatus
} from './types.js'
