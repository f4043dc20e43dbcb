import { Simulation, type ScriptStep } from './simulation.js'
const DEATHS = [{ who: 2, at: 2000 }, { who: 1, at: 9_013 }, { who: 3, at: 16_027 }]
const script: ScriptStep[] = []
for (const { who, at } of DEATHS) script.push({ at, action: 'crash', who }, { at: at + 5000, action: 'restart', who })
for (let at = 500; at < 22000; at += 10) script.push({ at, action: 'submit', who: 0 })
const fr = Number(process.env.FR ?? 12)
const inW = (t: number) => DEATHS.some((d) => t >= d.at - 100 && t < d.at + 1500)
const lat: Array<[number, number]> = []
const sim = new Simulation({ seed: Number(process.env.SEED ?? 11), byzantine: [], faults: { dropP: 0, dupP: 0, longDelayP: 0, maxDelayMs: 10, crashes: 0, partitions: 0 }, txCount: 0, faultPhaseMs: 24000, script,
  leaderElection: { windowRounds: 12, excludeRounds: 4, probeEvery: 64, failureRounds: fr },
  hooks: { afterStep: (sim, node, _e, actions) => { if (node !== 0) return; for (const a of actions) {
    if (a.type === 'enterRound' && inW(sim.now)) console.log(sim.now, 'enter', a.round, 'via', a.via, 'leader', a.leader)
    if (a.type === 'setTimer' && inW(sim.now)) console.log(sim.now, '  timer', a.round, a.delayMs)
    if (a.type === 'commit' && inW(sim.now)) console.log(sim.now, '  commit', a.blocks.map(b => b.block.header.round).join(','))
    if (a.type === 'commit') for (const { block } of a.blocks) for (const d of block.header.chunkDigests) { const s = 500 + 10 * parseInt(Buffer.from(d).toString('hex').slice(-8), 16); if (inW(s)) lat.push([sim.now - s, s]) }
  } } } })
sim.run()
lat.sort((a, b) => b[0] - a[0]); console.log('worst', JSON.stringify(lat.slice(0, 12)))
