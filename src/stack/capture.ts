// Capturing stacks cheaply and reading them late (docs/architecture.md, "stack"): a call keeps V8's
// unformatted capture; it is read as call sites with loopcop's own formatter (never the runner's),
// keyed by its generated positions, and only the frames of each distinct stack are source-mapped.
import { sep } from 'node:path'
import type { Frame } from '../model/finding.js'
import type { Guard } from '../runtime/guard.js'
import { type RawStack, positionOf, readCallSites, siteFrame } from './callsites.js'
import { parseStack } from './frames.js'
import { sourceFrame } from './sourcemaps.js'

export type { RawStack } from './callsites.js'

/** A captured stack once read: its key (generated positions) and its source-mapped frames. */
interface ReadStack {
  readonly key: string
  /** The call sites and their positions, until the frames are worked out from them. */
  sites: readonly NodeJS.CallSite[] | undefined
  positions: readonly string[] | undefined
  frames: Frame[] | undefined
}

/** No frame: a call site with no position, or in loopcop's own code. */
const NO_FRAME = null

/**
 * Captures and reads stacks for one detector: knows loopcop's own folders (whose frames never
 * appear in findings) and keeps the frames of each distinct stack (calls from one site share one
 * key, so each site is read and source-mapped once).
 */
export class Stacks {
  readonly #guard: Guard
  /** Directories holding loopcop's own code (the built package, or the sources in this repository). */
  readonly #ownRoots: string[] = []
  /** Frames by stack key (bounded). */
  readonly #frames = new Map<string, Frame[]>()
  /** Source-mapped frames by generated position (bounded): a stack new as a whole is mostly positions seen before. */
  readonly #byPosition = new Map<string, Frame | typeof NO_FRAME>()
  /** What each holder read to. */
  readonly #read = new WeakMap<RawStack, ReadStack>()

  constructor(guard: Guard) {
    this.#guard = guard
  }

  /** Registers a directory as loopcop's own: frames in it never appear in findings. */
  addOwnRoot(dir: string): void {
    const withSep = dir.endsWith(sep) ? dir : dir + sep
    if (this.#ownRoots.includes(withSep)) return
    this.#ownRoots.push(withSep)
    this.#frames.clear()
    this.#byPosition.clear()
  }

  /**
   * Captures the current stack into a holder, cutting every frame from `above` upwards (so
   * loopcop's wrapper never shows). `Error.stackTraceLimit` is lowered only for the capture;
   * nothing is formatted (V8 formats a holder on its first read).
   */
  capture(depth: number, above: Function): RawStack {
    const holder: RawStack = {}
    const limit = Error.stackTraceLimit
    Error.stackTraceLimit = depth
    this.#guard.depth++
    try {
      Error.captureStackTrace(holder, above)
    } finally {
      this.#guard.depth--
      Error.stackTraceLimit = limit
    }
    return holder
  }

  /**
   * Reads a captured holder into call sites, once, with loopcop's own `Error.prepareStackTrace`
   * (the installed one is restored whatever happens): no runner formatter, no source map, no file
   * read. Returns the stack's key: two holders with one key have the same frames.
   */
  key(raw: RawStack): string {
    return this.#readOnce(raw).key
  }

  /**
   * The frames of a captured holder, loopcop's own left out, each source-mapped through the
   * runner's formatter or Node's source maps (once per position and process), function names as
   * V8 gives them.
   */
  read(raw: RawStack): Frame[] {
    const read = this.#readOnce(raw)
    if (read.frames !== undefined) return read.frames
    let frames = this.#frames.get(read.key)
    if (frames === undefined) {
      frames = this.#frameSites(read.sites ?? [], read.positions ?? [])
      if (this.#frames.size > 5_000) this.#frames.clear()
      this.#frames.set(read.key, frames)
    }
    read.frames = frames
    read.sites = undefined
    read.positions = undefined
    return frames
  }

  /** Frames that are not loopcop's own (for frames that did not come through `read`). */
  withoutOwnFrames(frames: readonly Frame[]): Frame[] {
    return frames.filter((f) => !this.#isOwnFile(f.file))
  }

  #readOnce(raw: RawStack): ReadStack {
    let read = this.#read.get(raw)
    if (read !== undefined) return read
    const sites = readCallSites(raw)
    if (typeof sites === 'string') {
      // Formatted already by someone else's read: the text is all there is (its positions are mapped).
      read = { key: sites, sites: undefined, positions: undefined, frames: this.#frames.get(sites) ?? this.withoutOwnFrames(parseStack(sites)) }
    } else {
      const all = sites ?? []
      const positions = all.map(positionOf)
      read = { key: positions.join('\n'), sites: all, positions, frames: undefined }
    }
    this.#read.set(raw, read)
    return read
  }

  /** Frames of call sites: positions mapped where the runner or Node maps them, each position once. Source maps may read files: the guard is up. */
  #frameSites(sites: readonly NodeJS.CallSite[], positions: readonly string[]): Frame[] {
    const frames: Frame[] = []
    this.#guard.depth++
    try {
      for (let i = 0; i < sites.length; i++) {
        const position = positions[i] as string
        let frame = this.#byPosition.get(position)
        if (frame === undefined) {
          frame = this.#frameOf(sites[i] as NodeJS.CallSite)
          if (this.#byPosition.size > 20_000) this.#byPosition.clear()
          this.#byPosition.set(position, frame)
        }
        if (frame !== NO_FRAME) frames.push(frame)
      }
    } finally {
      this.#guard.depth--
    }
    return frames
  }

  #frameOf(site: NodeJS.CallSite): Frame | typeof NO_FRAME {
    const frame = siteFrame(site)
    if (frame === undefined || this.#isOwnFile(frame.file)) return NO_FRAME
    const mapped = sourceFrame(frame, site)
    return this.#isOwnFile(mapped.file) ? NO_FRAME : mapped
  }

  #isOwnFile(file: string): boolean {
    for (const root of this.#ownRoots) if (file.startsWith(root)) return true
    return false
  }
}
