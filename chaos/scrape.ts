/**
 * Reads one counter from a member's `GET /metrics` (Prometheus text): the sum of the
 * samples of `name` whose labels include every pair of `labels`. The campaign uses it to
 * show that an injected fault took hold (e.g. frames dropped by a one-way partition).
 */
export async function scrapeCounter (url: string, name: string, labels: Record<string, string> = {}): Promise<number> {
  const res = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(5000) })
  if (res.status !== 200) throw new Error(`GET ${url}/metrics: HTTP ${res.status}`)
  return sumSamples(await res.text(), name, labels)
}

export function sumSamples (text: string, name: string, labels: Record<string, string>): number {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`)
  let sum = 0
  for (const line of text.split('\n')) {
    if (!line.startsWith(name) || (line[name.length] !== '{' && line[name.length] !== ' ')) continue
    const space = line.lastIndexOf(' ')
    const labelPart = line.slice(name.length, space)
    if (wanted.every((w) => labelPart.includes(w))) sum += Number(line.slice(space + 1))
  }
  return sum
}
