/** Starts the libp2p committee transport for a node from its config, with prom-client counters. */
import type { Logger } from 'pino'
import { Counter, Gauge, type Registry } from 'prom-client'
import { createCommitteeTransport, defaultCommitteeTraffic, defaultCommitteeTransportOptions, frameLimitsFor, type CommitteeTransport, type NetworkIsolation, type P2PMetrics } from '../p2p/index.js'
import { peerLabel } from '../p2p/index.js'
import { rejectPolicyOf, type ConsensusRejectCode } from '../ordering/index.js'
import type { NodeConfig } from './config.js'
import type { Genesis } from './genesis.js'

export interface StartedTransport {
  transport: CommitteeTransport
  /** the consensus driver's `onReject`: scores the sender of a refused message */
  onConsensusReject: (from: number, code: ConsensusRejectCode) => void
  stop: () => Promise<void>
}

function p2pMetrics (registry: Registry): P2PMetrics {
  const counter = <L extends string>(name: string, help: string, labelNames: L[]): Counter<L> => new Counter({ name, help, labelNames, registers: [registry] })
  return {
    messagesOut: counter('seq_p2p_messages_out_total', 'Messages written to members, by kind and peer (member index; consensus and direct chunks)', ['kind', 'peer']),
    messagesIn: counter('seq_p2p_messages_in_total', 'Messages received from members, by kind and peer (member index)', ['kind', 'peer']),
    bytesOut: counter('seq_p2p_bytes_out_total', 'Frame bytes written to members (below noise and yamux), by kind', ['kind']),
    bytesIn: counter('seq_p2p_bytes_in_total', 'Frame bytes received from members and admitted, by kind', ['kind']),
    refused: counter('seq_p2p_refused_total', 'Inbound traffic refused, by kind and reason', ['kind', 'reason']),
    dropped: counter('seq_p2p_dropped_total', 'Outbound messages not sent, by kind and reason', ['kind', 'reason']),
    chunkVerdicts: counter('seq_gossip_verdicts_total', 'Chunk validation verdicts (accept/ignore/reject), by topic and reason', ['topic', 'verdict', 'reason']),
    requests: counter('seq_p2p_requests_total', 'Requests to members, by protocol and outcome', ['protocol', 'outcome']),
    dials: counter('seq_p2p_dials_total', 'Dials to members, by outcome', ['outcome']),
    connectionsReplaced: counter('seq_p2p_connections_replaced_total', 'Connections to members closed to keep one healthy link each, by reason', ['reason']),
    rejected: counter('seq_p2p_rejected_total', 'Inbound messages, frames and connections rejected, by reason code and peer (member index or "other")', ['reason', 'peer']),
    bans: counter('seq_p2p_peer_bans_total', 'Peers banned after their score fell to the threshold, by peer (member index or "other")', ['peer'])
  }
}

/** Scores and bans read at scrape time: members by index, non-members summed up as "other". */
function peerGauges (registry: Registry, transport: CommitteeTransport): void {
  new Gauge({
    name: 'seq_p2p_peer_score',
    help: 'Peer score (0 clean, ban at -100; penalties decay), by member index; "other" is the lowest non-member score',
    labelNames: ['peer'],
    registers: [registry],
    collect () {
      this.reset()
      const lowest = new Map<string, number>()
      for (const s of transport.peerStandings()) {
        const peer = peerLabel(s.member)
        lowest.set(peer, Math.min(lowest.get(peer) ?? 0, s.score))
      }
      for (const [peer, score] of lowest) this.set({ peer }, score)
    }
  })
  new Gauge({
    name: 'seq_p2p_peers_banned',
    help: 'Peers banned now, by peer (member index, or "other" for all non-members)',
    labelNames: ['peer'],
    registers: [registry],
    collect () {
      this.reset()
      for (const s of transport.peerStandings()) if (s.bannedForMs > 0) this.inc({ peer: peerLabel(s.member) })
    }
  })
}

export async function startCommitteeTransport (opts: { config: NodeConfig, genesis: Genesis, seed: Uint8Array, selfIndex: number, logger: Logger, registry: Registry, isolation?: NetworkIsolation | null }): Promise<StartedTransport> {
  const { config, genesis } = opts
  const transport = await createCommitteeTransport({
    chainId: genesis.chainId,
    committeeKeys: genesis.committeeKeys,
    selfIndex: opts.selfIndex,
    seed: opts.seed,
    listen: config.p2p.listen,
    ...(config.p2p.announce !== undefined ? { announce: config.p2p.announce } : {}),
    peers: config.p2p.peers,
    maxMessageBytes: config.p2p.maxMessageBytes,
    chunkTransport: config.p2p.chunkTransport,
    // a consensus message waiting longer than two first round timeouts is for a round that is over
    maxQueuedMessageAgeMs: Math.max(defaultCommitteeTransportOptions.maxQueuedMessageAgeMs, 2 * config.consensus.baseTimeoutMs),
    // honest inbound traffic is bounded by rounds: per round a few consensus messages and about one chunk per rollup lane
    peerGuard: frameLimitsFor({ ...defaultCommitteeTraffic, maxRoundsPerSecond: config.p2p.maxRoundsPerSecond ?? defaultCommitteeTraffic.maxRoundsPerSecond, chunksPerRound: Math.max(1, genesis.rollups.length) }),
    ...(opts.isolation != null ? { isolation: opts.isolation } : {}),
    metrics: p2pMetrics(opts.registry),
    logger: opts.logger.child({ module: 'p2p' })
  })
  await transport.start()
  peerGauges(opts.registry, transport)
  opts.logger.info({ listen: transport.listenAddrs }, 'p2p listening')
  // Scored by code: a REJECT costs what its code says, an IGNORE little or (penalty 0) nothing and is not counted as the peer's.
  const onConsensusReject = (from: number, code: ConsensusRejectCode): void => {
    const { penalty } = rejectPolicyOf(code)
    if (penalty > 0) transport.reportReject(from, code, penalty)
  }
  return { transport, onConsensusReject, stop: () => transport.stop() }
}
