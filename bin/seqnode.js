#!/usr/bin/env node
// Loads the Promise.withResolvers polyfill before anything else, then runs the TypeScript CLI through tsx.
import '../src/polyfills/register.js'
import { register } from 'tsx/esm/api'

register()
await import('../src/node/cli.ts')
