#!/usr/bin/env node
// Basalt CLI entry: loads the TypeScript sources through tsx and runs the command line.
import { register } from 'tsx/esm/api'

register()
const { main } = await import('../src/cli/main.ts')
// Exit explicitly: a finished command must not linger on a leftover handle (e.g. a keep-alive socket).
process.exit(await main(process.argv.slice(2)))
