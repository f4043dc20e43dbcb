/**
 * The API's metrics, registered on the node's registry: every refusal by its error code
 * (HTTP replies, connections and WebSocket streams alike), and gauges of what clients
 * hold open, so an abusive client shows up on a dashboard before it shows up in memory.
 */
import { Counter, Gauge, type Registry } from 'prom-client'

export interface ApiMetrics {
  /** label `reason`: the error code sent (TX_MALFORMED, TOO_MANY_CONNECTIONS, STREAM_STALLED, ...) */
  rejected: Counter<'reason'>
  /** Adds gauges of open connections and streams, read from `sources` at scrape time (once per server). */
  watch: (sources: ApiGaugeSources) => void
}

export interface ApiGaugeSources {
  connections: () => number
  subscribers: () => number
  streamBufferedBytes: () => number
}

export function createApiMetrics (registry: Registry): ApiMetrics {
  const registers = [registry]
  return {
    rejected: new Counter({ name: 'seq_api_rejected_total', help: 'Requests, connections and streams the API refused or closed, by error code', labelNames: ['reason'], registers }),
    watch: (sources) => {
      new Gauge({ name: 'seq_api_connections', help: 'Open HTTP connections (WebSockets included)', registers, collect () { this.set(sources.connections()) } })
      new Gauge({ name: 'seq_api_stream_subscribers', help: 'Open slice-stream WebSockets', registers, collect () { this.set(sources.subscribers()) } })
      new Gauge({ name: 'seq_api_stream_buffered_bytes', help: 'Bytes queued for slice-stream subscribers, all sockets', registers, collect () { this.set(sources.streamBufferedBytes()) } })
    }
  }
}
