/**
 * A member's side of the public network (src/p2p/public-network.ts): txs gossiped in by
 * followers (in bundles, follower/tx-bundler.ts) are admitted exactly like API submissions
 * (same mempool, same dedup) by one member only, each tx's home (`relayHome`), or by every
 * member that has lost its link to that home (so a down home costs duplicates, not the tx); each
 * final batch goes out once on the final topic (by its proposer; a follower that misses
 * one, because that proposer is down, fills the gap by sync), and final ranges are served.
 */
import type { Logger } from 'pino'
import { AdmissionError, AdmissionErrorCode, RETRYABLE_CODES, type Mempool, type MempoolGenesis } from '../mempool/index.js'
import { sha256 } from '../crypto/index.js'
import { bundleVerdict, decodeRelayBundle, judgeRelayedTx, relayHome, type RelayVerdict } from '../follower/relayed-tx.js'
import { PublicNetwork } from '../p2p/public-network.js'
import type { ChainStore } from '../store/index.js'
import { serveFinalRange } from '../follower/final-sync.js'
import { syncItemBytes } from '../follower/sync-item.js'
import type { NodeConfig } from './config.js'

export interface PublicGatewayDeps {
  config: Required<Pick<NodeConfig, 'public'>> & Pick<NodeConfig, 'p2p'>
  chainId: string
  genesis: MempoolGenesis
  seed: Uint8Array
  selfIndex: number
  committeeSize: number
  /** whether this member's committee link to member `index` is up */
  isMemberConnected: (index: number) => boolean
  store: ChainStore
  mempool: Mempool
  logger: Logger
}

export class PublicGateway {
  readonly network: PublicNetwork

  private constructor (private readonly deps: PublicGatewayDeps) {
    const { config } = deps
    this.network = new PublicNetwork({
      chainId: deps.chainId,
      seed: deps.seed,
      listen: config.public.listen,
      ...(config.public.announce !== undefined ? { announce: config.public.announce } : {}),
      bootstrap: config.public.bootstrap,
      maxMessageBytes: config.p2p.maxMessageBytes,
      serveFollowers: true,
      // members publish final batches and need none: off the topic's mesh, followers' copies skip them
      subscribeFinal: false,
      logger: deps.logger
    })
    this.network.onTx(async (_peer, bytes, via) => via === 'direct' ? this.#admitDirect(bytes) : this.#admitBundle(bytes))
    this.network.onFinalBatch(() => 'ignore')
    this.network.handleSync(async (bytes) => serveFinalRange(deps.store, bytes, config.p2p.maxMessageBytes))
  }

  static async start (deps: PublicGatewayDeps): Promise<PublicGateway> {
    const gateway = new PublicGateway(deps)
    await gateway.network.start()
    return gateway
  }

  async stop (): Promise<void> {
    await this.network.stop()
  }

  /**
   * After a batch is final here, as stored bytes (no re-encoding, still in memory): pushed at
   * once to the followers subscribed to this member, and published on the final topic by its
   * proposer (for followers with no push stream).
   */
  onFinal (height: number, proposer: number): void {
    if (proposer !== this.deps.selfIndex && this.network.pushSubscribers === 0) return
    void (async () => {
      const [batch, proof] = await Promise.all([this.deps.store.getBatchBytes(height), this.deps.store.getCommitProofBytes(height)])
      if (batch === null || proof === null) return
      const item = syncItemBytes(batch, proof)
      this.network.pushFinal(item)
      if (proposer === this.deps.selfIndex) await this.network.publishFinal(item)
    })().catch((err: unknown) => { this.deps.logger.debug({ err, height }, 'publishing a final batch failed') })
  }

  async #admitBundle (bytes: Uint8Array): Promise<RelayVerdict> {
    const txs = decodeRelayBundle(bytes)
    // [REJECT] not a RelayBundle
    if (txs === null) return 'reject'
    // Txs other members admit are only checked: one by one, so a bundle of bad txs costs one
    // signature check before it is rejected; then this member's own share, admitted together.
    const verdicts: RelayVerdict[] = []
    const mine: Uint8Array[] = []
    for (const tx of txs) {
      const home = relayHome(sha256(tx), this.deps.committeeSize)
      if (home === this.deps.selfIndex || !this.deps.isMemberConnected(home)) { mine.push(tx); continue }
      // [ACCEPT] its home admits it; this member only checks it (gossip needs a verdict) and forwards
      const verdict = judgeRelayedTx(this.deps.genesis, tx, (hash) => this.deps.store.txLocationSync(hash) !== null)
      if (verdict === 'reject') return 'reject'
      verdicts.push(verdict)
    }
    verdicts.push(...await Promise.all(mine.map(async (tx) => this.#admit(tx))))
    return bundleVerdict(verdicts)
  }

  /** A bundle a follower sent to this member alone (its share, by `relayHome`): all admitted here. */
  async #admitDirect (bytes: Uint8Array): Promise<RelayVerdict> {
    const txs = decodeRelayBundle(bytes)
    // [REJECT] not a RelayBundle
    if (txs === null) return 'reject'
    return bundleVerdict(await Promise.all(txs.map(async (tx) => this.#admit(tx))))
  }

  /** Admits a tx whose home is this member (or whose home it cannot reach). */
  async #admit (bytes: Uint8Array): Promise<RelayVerdict> {
    try {
      await this.deps.mempool.admit(bytes)
      return 'accept'
    } catch (err) {
      if (!(err instanceof AdmissionError)) throw err
      // [IGNORE] held already (another path brought it), or no room now: not the peer's fault
      if (err.code === AdmissionErrorCode.DUPLICATE || RETRYABLE_CODES.has(err.code)) return 'ignore'
      // [IGNORE] expired on the way: a follower checked it, clocks differ by a little
      if (err.code === AdmissionErrorCode.EXPIRED) return 'ignore'
      // [REJECT] anything else is a tx no honest follower forwards
      return 'reject'
    }
  }
}
