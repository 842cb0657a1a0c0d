import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fixtures } from './run.js'

/** The servers the lost-context fixtures of every runner share (test/fixtures/shared/servers.cjs). */
export const serversFile = join(fixtures, 'shared', 'servers.cjs')

/** The line of servers.cjs marked `// blocks: <what>`. */
export function serversLine(what: 'request' | 'data' | 'upgrade'): number {
  const i = readFileSync(serversFile, 'utf8').split('\n').findIndex((l) => l.includes(`// blocks: ${what}`))
  if (i < 0) throw new Error(`servers.cjs has no line marked "// blocks: ${what}"`)
  return i + 1
}
