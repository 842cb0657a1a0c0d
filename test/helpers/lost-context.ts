import { join } from 'node:path'
import { markedLine } from './marked-line.js'
import { fixtures } from './run.js'

/** The servers the lost-context fixtures of every runner share (test/fixtures/shared/servers.cjs). */
export const serversFile = join(fixtures, 'shared', 'servers.cjs')

/** The line of servers.cjs marked `// blocks: <what>`. */
export function serversLine(what: 'request' | 'data' | 'upgrade'): number {
  return markedLine(serversFile, what)
}
