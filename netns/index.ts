/** Network-namespace lab for partition tests and the `npm run partition` scenario. */
export { FORCE_UNAVAILABLE_ENV, NETNS_PREFIX, NetLab, NetnsError, probeNetnsSupport, sweepStaleNamespaces, type LabNode, type LinkShape, type NetnsSupport } from './lab.js'
export { DelayRelay } from './delay-relay.js'
export { API_PORT, NetnsCommittee, P2P_PORT, type CommitteeOptions, type MemberProcess } from './committee.js'
export { PUBLIC_PORT, PublicLab, type LabProcess, type PublicLabOptions } from './public-lab.js'
export { runFollowerScenario, type FollowerReport, type ScenarioReport } from './follower-scenario.js'
