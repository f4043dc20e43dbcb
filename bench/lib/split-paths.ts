/**
 * `--submit-via split`: one run, two paths side by side on the same machine state. Senders
 * alternate: even ones post to the members (round-robin), odd ones to follower-0; each tx
 * counts as final when it shows up in a verified slice on its own path's stream (the member
 * `--subscribe-member` for member txs, follower-0 for follower txs). The follower path's cost
 * is then the difference of the two paths' latencies within one run (issue 16's goal:
 * <= 3 ms at p50), free of the run-to-run drift of this machine.
 */
import { LoadRecord } from './open-loop.js'
import { r1, summarize, type Summary } from './stats.js'

export interface Ingress { name: string, url: string }

/** Sender k posts to entry k mod length: members and follower-0 alternate. */
export function splitIngress<T extends Ingress> (members: T[], follower: T): T[] {
  return members.flatMap((m) => [m, follower])
}

export interface PathSplit {
  member: { txs: number, final: number, latency_ms: Summary, ack_ms: Summary }
  follower: { txs: number, final: number, latency_ms: Summary, ack_ms: Summary }
  /** follower p50 - member p50, submit -> final delivered on the path's own stream */
  follower_minus_member_p50_ms: number | null
  follower_minus_member_p99_ms: number | null
  /**
   * The difference in two parts. Tx side: submit -> seen on the member's stream, follower
   * txs against member txs (p50 difference). Read side: per tx, seen on the follower's
   * stream minus seen on the member's (the final batch's gossip hop and the follower's
   * checks), over every tx both streams delivered.
   */
  tx_side_p50_ms: number | null
  read_side_ms: Summary
}

/** Latency per path over the measured txs; `viaFollower(i)` tells a tx's path. */
export function summarizeSplit (rec: LoadRecord, viaFollower: (i: number) => boolean, seenOn: { member: Float64Array, follower: Float64Array }): PathSplit {
  const lat = { member: [] as number[], follower: [] as number[] }
  const ack = { member: [] as number[], follower: [] as number[] }
  const txs = { member: 0, follower: 0 }
  for (let i = rec.warmupCount; i < rec.total; i++) {
    if (Number.isNaN(rec.sent[i]!)) continue
    const path = viaFollower(i) ? 'follower' : 'member'
    txs[path]++
    const f = rec.final[i]! - rec.scheduled[i]!
    if (Number.isFinite(f)) lat[path].push(f)
    const a = rec.acked[i]! - rec.scheduled[i]!
    if (Number.isFinite(a)) ack[path].push(a)
  }
  const atMember = { member: [] as number[], follower: [] as number[] }
  const readSide: number[] = []
  for (let i = rec.warmupCount; i < rec.total; i++) {
    const m = seenOn.member[i]! - rec.scheduled[i]!
    if (Number.isFinite(m)) atMember[viaFollower(i) ? 'follower' : 'member'].push(m)
    const d = seenOn.follower[i]! - seenOn.member[i]!
    if (Number.isFinite(d)) readSide.push(d)
  }
  const member = { txs: txs.member, final: lat.member.length, latency_ms: summarize(lat.member), ack_ms: summarize(ack.member) }
  const follower = { txs: txs.follower, final: lat.follower.length, latency_ms: summarize(lat.follower), ack_ms: summarize(ack.follower) }
  const diff = (a: number | null, b: number | null): number | null => a === null || b === null ? null : r1(a - b)
  return {
    member,
    follower,
    follower_minus_member_p50_ms: diff(follower.latency_ms.p50, member.latency_ms.p50),
    follower_minus_member_p99_ms: diff(follower.latency_ms.p99, member.latency_ms.p99),
    tx_side_p50_ms: diff(summarize(atMember.follower).p50, summarize(atMember.member).p50),
    read_side_ms: summarize(readSide)
  }
}
