// Basalt's version, read once from package.json (no build step, so this is the source of truth).
import fs from 'node:fs'

export const VERSION: string = (JSON.parse(fs.readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version
