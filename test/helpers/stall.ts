// Where the stall fixtures (test/fixtures/{jest,mocha}/stall) are expected to report their stalls:
// the lines of their src/stall.js marked `// stalls: …`.
import { readFileSync } from 'node:fs'
import type { JsonFinding } from '../../src/index.js'

/** The marked lines of a fixture's src/stall.js. */
interface StallSites {
  /**
   * In countItems, the first JS call after the native JSON.parse: where the watchdog's probe lands
   * (V8 serves its interrupt at the function's entry, reported at the line that declares it, or
   * at its first statement).
   */
  readonly firstCall: number
  /** In parseCatalog: its call of countItems, right after the parse. */
  readonly afterParse: number
  /** The busy loop's first and last lines: the pause lands on any of them. */
  readonly busyLoop: readonly [number, number]
}

function readSites(path: string): StallSites {
  const lines = readFileSync(path, 'utf8').split('\n')
  const line = (mark: string): number => {
    const i = lines.findIndex((l) => l.includes(`// stalls: ${mark}`))
    if (i < 0) throw new Error(`${path} has no line marked "// stalls: ${mark}"`)
    return i + 1
  }
  return { firstCall: line('first call after the parse'), afterParse: line('after the parse'), busyLoop: [line('busy loop starts'), line('busy loop ends')] }
}

/**
 * Rewrites every `src/stall.js:<line>[:<column>]` in `text` to name the marked place it is at
 * (`src/stall.js:<first call after the parse>`, `…:<after the parse>`, `…:<busy loop>`), so
 * assertions need not know on which line of the loop a pause landed. Other lines stay numbers.
 */
export function nameStallSites(path: string, text: string): string {
  const sites = readSites(path)
  return text.replace(/src\/stall\.js:(\d+)(?::\d+)?/g, (whole, n: string) => {
    const line = Number(n)
    if (line === sites.firstCall || line === sites.firstCall - 1) return 'src/stall.js:<first call after the parse>'
    if (line === sites.afterParse) return 'src/stall.js:<after the parse>'
    if (line >= sites.busyLoop[0] && line <= sites.busyLoop[1]) return 'src/stall.js:<busy loop>'
    return whole
  })
}

/**
 * The findings of a run as one line each (test, place, CPU and wall ms, why not judged, the first
 * frames): the message of an assertion on a run's stalls, so that a stall that should not be there,
 * met once in a CI run under load, says what it was.
 */
export function describeFindings(findings: readonly JsonFinding[] | undefined): string {
  return (findings ?? [])
    .map((f) => `${f.kind} in "${f.test?.name}" at ${f.location?.file}:${f.location?.line}, ${f.durationMs} ms (wall ${f.wallMs ?? '-'})${f.unjudged === undefined ? '' : `, not judged: ${f.unjudged}`}; ${f.stack.slice(0, 4).join(' < ')}`)
    .join('\n')
}
