export { registerExplorer, explorerAssetsDir, EXPLORER_NOT_BUILT } from './plugin.js'
