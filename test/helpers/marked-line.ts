import { readFileSync } from 'node:fs'
import { relative } from 'node:path'
import { root } from './run.js'

/** The line (1-based) of a fixture file marked `// blocks: <what>`: where a finding must point. */
export function markedLine(file: string, what: string): number {
  const i = readFileSync(file, 'utf8').split('\n').findIndex((l) => l.includes(`// blocks: ${what}`))
  if (i < 0) throw new Error(`${relative(root, file)} has no line marked "// blocks: ${what}"`)
  return i + 1
}
