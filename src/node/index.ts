export { SequencerNode, NodeStartError } from './sequencer-node.js'
export { loadNodeConfig, parseNodeConfig, ConfigError, NodeConfigSchema, type NodeConfig, type NodeConfigFile } from './config.js'
export { loadGenesis, parseGenesis, GenesisError, GenesisSchema, type Genesis, type GenesisJson } from './genesis.js'
export { createNodeMetrics, type NodeMetrics } from './metrics.js'
