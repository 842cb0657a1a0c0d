// Source-mapping the frames loopcop reports (docs/architecture.md, "stack"): each generated
// position is mapped once per process, through the formatter the runner installed (Vitest's,
// Jest's source-map-support) or Node's own source maps (`--enable-source-maps`, tsx), so the user
// sees TypeScript lines while the per-call path never runs a runner's formatter.
import { findSourceMap } from 'node:module'
import type { Frame } from '../model/finding.js'
import { parseStack } from './frames.js'
import { scriptOf, toPath } from './callsites.js'

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

/** The position through Node's own source maps (cached by Node only when they are enabled). */
function throughNode(site: NodeJS.CallSite, line: number, column: number): Mapped {
  const script = site.getFileName()
  // V8 gives `undefined` (not the typed `null`) for eval code.
  if (typeof script !== 'string' || script.startsWith('node:')) return undefined
  // Node 20 gives `{}` for a position with no mapping.
  const entry: Partial<{ originalSource: string; originalLine: number; originalColumn: number }> | undefined = findSourceMap(script)?.findEntry(line - 1, column - 1)
  if (entry?.originalSource === undefined || entry.originalLine === undefined || entry.originalColumn === undefined) return undefined
  return { file: toPath(entry.originalSource), line: entry.originalLine + 1, column: entry.originalColumn + 1 }
}

/**
 * Maps generated positions to source positions, each once (bounded memo). The function name stays
 * V8's: source-map-support names a frame after the identifier at its mapped position (the function
 * being called there, not the one calling).
 */
export class SourcePositions {
  readonly #mapped = new Map<string, Mapped>()

  /** The frame at its source position, read through whatever maps stacks in this process now. */
  map(frame: Frame, site: NodeJS.CallSite): Frame {
    const key = `${scriptOf(site)}:${frame.line}:${frame.column}`
    let to: Mapped
    if (this.#mapped.has(key)) to = this.#mapped.get(key)
    else {
      to = this.#lookUp(site, frame)
      if (this.#mapped.size > 20_000) this.#mapped.clear()
      this.#mapped.set(key, to)
    }
    return to === undefined || (to.file === frame.file && to.line === frame.line && to.column === frame.column) ? frame : { fn: frame.fn, file: to.file, line: to.line, column: to.column }
  }

  #lookUp(site: NodeJS.CallSite, frame: Frame): Mapped {
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
}
