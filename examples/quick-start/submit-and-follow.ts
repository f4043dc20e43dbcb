import { readFileSync } from 'node:fs'
import { WebSocket } from 'ws' // Node 20 only: browsers and Node 22+ have a global WebSocket
import { committeeFromGenesis, createTxBuilder, generateSigningKey, SequencerClient } from 'shared-sequencer-node/sdk'

const [url = 'http://127.0.0.1:7300', genesisFile = '.devnet/genesis.json'] = process.argv.slice(2)
const committee = committeeFromGenesis(readFileSync(genesisFile, 'utf8')) // the trust root: a genesis.json you trust
const client = new SequencerClient({ url, committee, WebSocket })

const txs = createTxBuilder({ chainId: committee.chainId, signer: generateSigningKey() })
const tx = txs.single(2, new TextEncoder().encode('hello from the SDK'))
await client.submitWithRetry(tx)
const { height, index } = await client.waitFinal(tx.hash)
const slice = await client.getSlice(2, height) // verified: quorum certificate + NMT proof
console.log(`final at height ${height} (index ${index}); rollup 2's slice there holds ${slice.txs.length} action(s), ours included: ${slice.txs.some((leaf) => leaf.txHash === tx.hash)}`)
