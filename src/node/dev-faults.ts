/**
 * The node's side of `/v1/dev/faults` (dev control only, src/api/routes-dev.ts): the
 * faults the chaos campaign injects into a running member. A one-way partition is the
 * transport's mute list (src/p2p/isolation.ts); disk faults are the store's fault
 * injection (src/store/fault-injection.ts), present in every dev-control member so a
 * campaign can fail (ENOSPC, EIO) or park (delay) its writes at any time. Every change is
 * logged at warn, so a member's log shows when a fault began and ended.
 */
import type { Logger } from 'pino'
import { ApiError, ApiErrorCode, type DevControl, type DevFaultsJson, type DevFaultsRequest } from '../api/index.js'
import type { NetworkIsolation } from '../p2p/index.js'
import type { StoreFaults } from '../store/index.js'

export type DevFaultControl = NonNullable<DevControl['faults']>

export function devFaultControl (c: { isolation: NetworkIsolation, store: StoreFaults, members: number, self: number, log: Logger }): DevFaultControl {
  const state = (): DevFaultsJson => {
    const o = c.store.options
    return {
      mutedTo: c.isolation.mutedTo(),
      disk: { failPaths: [...o.failPaths], code: o.code, delayMs: o.delayMs, parkedWrites: c.store.parked, injected: c.store.injected }
    }
  }
  const set = (request: DevFaultsRequest): DevFaultsJson => {
    const { muteTo, diskFail, diskDelayMs } = request
    // [REFUSE] muted members are other members of the committee
    const bad = muteTo?.find((i) => i >= c.members || i === c.self)
    if (bad !== undefined) throw new ApiError(400, ApiErrorCode.BAD_REQUEST, `muteTo: ${bad} is not another member (committee of ${c.members}, this is ${c.self})`)
    if (muteTo !== undefined) c.isolation.mute(muteTo)
    if (diskFail === null) c.store.heal()
    else if (diskFail !== undefined) c.store.fail(diskFail.paths, diskFail.code)
    if (diskDelayMs !== undefined) c.store.slow(diskDelayMs)
    const now = state()
    c.log.warn({ faults: now }, 'dev fault injection changed')
    return now
  }
  return { state, set }
}
