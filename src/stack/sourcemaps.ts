// Source-mapping the frames loopcop reports (docs/architecture.md, "stack"): a generated position
// is mapped (once per process: `Stacks` keeps the result) through the formatter the runner installed (Vitest's,
// Jest's source-map-support) or Node's own source maps (`--enable-source-maps`, tsx), so the user
// sees TypeScript lines while the per-call path never runs a runner's formatter.
import { findSourceMap } from 'node:module'
import type { Frame } from '../model/finding.js'
import { parseStack } from './frames.js'
import { toPath } from './callsites.js'

/** Where a generated position maps to (`undefined`: it maps to itself). */
type Mapped = { readonly file: string; readonly line: number; readonly column: number } | undefined

/** The error a runner's formatter is given: it only reads `name` and `message` for the header. */
const HEADER = { name: 'Error', message: '' } as Error

/** The frame the runner's formatter writes for one call site, read back from its text. */
function throughFormatter(prepare: (error: Error, sites: NodeJS.CallSite[]) => unknown, site: NodeJS.CallSite): Mapped | null {
  const text = prepare.call(Error, HEADER, [site])
  if (typeof text !== 'string') return null
  const [frame] = parseStack(text)
  if (frame === undefined || frame.unparsed === true) return null
  return { file: frame.file, line: frame.line, column: frame.column }
}

/**
 * Whether Node maps stacks itself (`--enable-source-maps`, `process.setSourceMapsEnabled(true)`, as
 * tsx does). Only then does Node keep source maps to find, and `findSourceMap` of a path costs
 * ~15 µs even when there is none.
 */
function nodeMapsStacks(): boolean {
  const enabled = (process as { sourceMapsEnabled?: boolean }).sourceMapsEnabled
  // Before Node 20.7, no property: the flag is the only way to tell.
  return enabled ?? (process.execArgv.includes('--enable-source-maps') || (process.env.NODE_OPTIONS ?? '').includes('--enable-source-maps'))
}

/** The position through Node's own source maps. */
function throughNode(site: NodeJS.CallSite, line: number, column: number): Mapped {
  const script = site.getFileName()
  // V8 gives `undefined` (not the typed `null`) for eval code.
  if (typeof script !== 'string' || script.startsWith('node:') || !nodeMapsStacks()) return undefined
  // Node 20 gives `{}` for a position with no mapping.
  const entry: Partial<{ originalSource: string; originalLine: number; originalColumn: number }> | undefined = findSourceMap(script)?.findEntry(line - 1, column - 1)
  if (entry?.originalSource === undefined || entry.originalLine === undefined || entry.originalColumn === undefined) return undefined
  return { file: toPath(entry.originalSource), line: entry.originalLine + 1, column: entry.originalColumn + 1 }
}

/**
 * A frame at its source position, read through whatever maps stacks in this process now (the
 * caller keeps the result per position: see `Stacks`). The function name stays V8's:
 * source-map-support names a frame after the identifier at its mapped position (the function
 * being called there, not the one calling).
 */
export function sourceFrame(frame: Frame, site: NodeJS.CallSite): Frame {
  const to = lookUp(site, frame)
  return to === undefined || (to.file === frame.file && to.line === frame.line && to.column === frame.column) ? frame : { fn: frame.fn, file: to.file, line: to.line, column: to.column }
}

function lookUp(site: NodeJS.CallSite, frame: Frame): Mapped {
  // eslint-disable-next-line @typescript-eslint/unbound-method -- called with `Error` as `this`, as V8 does
  const prepare = Error.prepareStackTrace
  try {
    if (typeof prepare === 'function') {
      const viaRunner = throughFormatter(prepare, site)
      if (viaRunner !== null) return viaRunner
    }
    return throughNode(site, frame.line, frame.column)
  } catch {
    // A formatter that fails on a lone call site: the generated position is still right.
    return undefined
  }
}
