/** Starts the libp2p committee transport for a node from its config, with prom-client counters. */
import type { Logger } from 'pino'
import { Counter, type Registry } from 'prom-client'
import { createCommitteeTransport, type CommitteeTransport, type P2PMetrics } from '../p2p/index.js'
import type { NodeConfig } from './config.js'
import type { Genesis } from './genesis.js'

export interface StartedTransport {
  transport: CommitteeTransport
  stop: () => Promise<void>
}

function p2pMetrics (registry: Registry): P2PMetrics {
  const counter = <L extends string>(name: string, help: string, labelNames: L[]): Counter<L> => new Counter({ name, help, labelNames, registers: [registry] })
  return {
    messagesOut: counter('seq_p2p_messages_out_total', 'Messages written to members, by kind', ['kind']),
    messagesIn: counter('seq_p2p_messages_in_total', 'Messages received from members, by kind', ['kind']),
    refused: counter('seq_p2p_refused_total', 'Inbound traffic refused, by kind and reason', ['kind', 'reason']),
    dropped: counter('seq_p2p_dropped_total', 'Outbound messages not sent, by kind and reason', ['kind', 'reason']),
    chunkVerdicts: counter('seq_gossip_verdicts_total', 'Chunk validation verdicts (accept/ignore/reject), by topic and reason', ['topic', 'verdict', 'reason']),
    requests: counter('seq_p2p_requests_total', 'Requests to members, by protocol and outcome', ['protocol', 'outcome']),
    dials: counter('seq_p2p_dials_total', 'Dials to members, by outcome', ['outcome'])
  }
}

export async function startCommitteeTransport (opts: { config: NodeConfig, genesis: Genesis, seed: Uint8Array, selfIndex: number, logger: Logger, registry: Registry }): Promise<StartedTransport> {
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
    metrics: p2pMetrics(opts.registry),
    logger: opts.logger.child({ module: 'p2p' })
  })
  await transport.start()
  opts.logger.info({ listen: transport.listenAddrs }, 'p2p listening')
  return { transport, stop: () => transport.stop() }
}
