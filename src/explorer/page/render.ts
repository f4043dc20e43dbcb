/** Renders the page's three parts from plain data; every text goes in as text, never HTML. */
import type { BatchJson, StatusJson } from './api.js'
import { bytesText, clock, el, payloadPreview, short } from './format.js'
import type { SliceResult } from './slices.js'
import { sameCommittee, type TrustRoot } from './trust.js'

export function renderStatus (status: StatusJson): HTMLElement {
  const leader = status.committee.find((m) => m.index === status.leader)
  const item = (label: string, value: string, id: string): HTMLElement =>
    el('div', { class: 'stat' }, el('dt', {}, label), el('dd', { id }, value))
  return el('dl', { class: 'stats' },
    item('final height', String(status.height), 'stat-height'),
    item('round', String(status.round), 'stat-round'),
    item('leader', leader !== undefined ? `${leader.index} (${leader.name})` : String(status.leader), 'stat-leader'),
    item('node', `${status.role ?? 'member'} ${status.nodeIndex >= 0 ? status.nodeIndex : ''} ${short(status.nodeId, 6)}`, 'stat-node'),
    item('peers', String(status.peers), 'stat-peers'),
    item('mempool', `${status.mempool.txs} txs, ${bytesText(status.mempool.bytes)}`, 'stat-mempool'))
}

export function renderTrust (trust: TrustRoot | null, status: StatusJson | null): HTMLElement {
  if (trust === null) return el('span', {}, 'trust root: waiting for the node')
  const n = trust.committee.committeeKeys.length
  const what = `chain ${trust.committee.chainId}, ${n} committee key${n === 1 ? '' : 's'}`
  if (trust.source === 'node') {
    return el('span', { 'data-trust': 'node' }, `trust root: ${what}, as this node reports them in /v1/status. `,
      el('em', {}, 'A dishonest node could report its own keys: load your genesis.json to pin them.'))
  }
  const differs = status !== null && !sameCommittee(trust.committee, status)
  return el('span', { 'data-trust': 'genesis' }, `trust root: ${what}, from the genesis.json you loaded.`,
    differs ? el('strong', { class: 'bad' }, ' This node reports another committee!') : null)
}

export function renderSlices (rows: SliceResult[], quorum: string): HTMLElement {
  const body = el('tbody')
  for (const r of rows) body.append(sliceRow(r, quorum))
  if (rows.length === 0) body.append(el('tr', {}, el('td', { colspan: '5', class: 'muted' }, 'no slice with txs in the recent heights (tick "empty heights" to see them all)')))
  return el('table', { class: 'slices' },
    el('thead', {}, el('tr', {}, el('th', {}, 'height'), el('th', {}, 'check in this browser'), el('th', {}, 'batch'), el('th', {}, 'time'), el('th', {}, 'txs (sender: payload)'))),
    body)
}

function sliceRow (r: SliceResult, quorum: string): HTMLElement {
  const attrs = { 'data-slice-height': String(r.height), 'data-verdict': r.ok ? 'verified' : 'failed' }
  if (!r.ok) {
    return el('tr', { ...attrs, class: 'failed' },
      el('td', {}, String(r.height)),
      el('td', { class: 'verdict bad' }, `✗ failed: ${r.code}`, el('div', { class: 'why' }, r.reason)),
      el('td', {}, '—'), el('td', {}, '—'), el('td', { class: 'muted' }, 'not shown: the slice did not verify'))
  }
  const { slice } = r
  const txs = el('ul', { class: 'txs' })
  for (const leaf of slice.txs) {
    txs.append(el('li', {}, el('code', { title: `tx ${leaf.txHash}, action ${leaf.actionIndex + 1} of ${leaf.actionCount}` }, short(leaf.sender, 6)), ': ', payloadPreview(leaf.payload)))
  }
  if (slice.skipped.length > 0) txs.append(el('li', { class: 'bad' }, `${slice.skipped.length} leaf(s) skipped: sender proof fails`))
  if (slice.txs.length === 0 && slice.skipped.length === 0) txs.append(el('li', { class: 'muted' }, 'none (proven empty)'))
  return el('tr', attrs,
    el('td', {}, String(r.height)),
    el('td', { class: 'verdict ok', title: `finality: the quorum certificate (${quorum}) and the 2-chain commit proof check against the trust root; NMT: the ${slice.txs.length + slice.skipped.length} leaves are the complete namespace under the header's payloadRoot` },
      '✓ verified', el('div', { class: 'why' }, `QC + NMT, ${bytesText(r.bytes)}`)),
    el('td', {}, el('code', { title: slice.batchHash }, short(slice.batchHash))),
    el('td', {}, clock(slice.timestamp)),
    el('td', {}, txs))
}

export function renderBatches (batches: BatchJson[], status: StatusJson, provenHashes: Set<string>): HTMLElement {
  const n = status.committee.length
  const body = el('tbody')
  for (const b of batches) {
    const proof = b.finality
    const chain = [b.header, ...proof.headers].map((h) => `${h.height}@r${h.round}`).join(' → ')
    const cert = proof.certificate
    const ns = b.header.namespaces.map((x) => `${x.rollupId}:${x.count}`).join(' ') || '—'
    body.append(el('tr', { 'data-batch-height': String(b.height) },
      el('td', {}, String(b.height)),
      el('td', {}, String(b.header.round)),
      el('td', {}, String(b.header.proposer)),
      el('td', {}, clock(b.header.timestamp)),
      el('td', {}, String(b.header.txCount)),
      el('td', {}, ns),
      el('td', {}, el('code', { title: b.hash }, short(b.hash))),
      el('td', { class: 'proof' }, `${chain}; QC round ${cert.round} signed by ${cert.signatures.length}/${n}`),
      el('td', { class: provenHashes.has(b.hash) ? 'ok' : 'muted' }, provenHashes.has(b.hash) ? '✓ by its slice' : 'as reported')))
  }
  return el('table', { class: 'batches' },
    el('thead', {}, el('tr', {}, ...['height', 'round', 'proposer', 'time', 'txs', 'rollup:txs', 'hash', 'commit proof (height@round) and QC', 'final'].map((h) => el('th', {}, h)))),
    body)
}
