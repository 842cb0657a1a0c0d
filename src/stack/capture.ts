// Capturing stacks cheaply and reading them late (docs/architecture.md, "stack"): a call keeps V8's
// unformatted capture; it is read as call sites with loopcop's own formatter (never the runner's),
// keyed by its generated positions (each known by a number), and each position is source-mapped once.
import { sep } from 'node:path'
import type { Frame } from '../model/finding.js'
import { DEEPEST_SEARCH } from '../model/options.js'
import type { Guard } from '../runtime/guard.js'
import { type RawStack, generatedFrame, isExportGetter, isStorageRun, positionOf, readCallSites, siteFrame, siteFrameFrom, toPath } from './callsites.js'
import { firstPartyFrame, isSpyFile, isStorageFrame, offenderFrame, parseStack, withoutOwn } from './frames.js'
import { sourceFrame } from './sourcemaps.js'

export type { RawStack } from './callsites.js'

/**
 * One generated position (a script and an offset in it, for one way of naming its function: see
 * `nameVariant`), as far as loopcop has worked it out: its number, which stack keys are made of,
 * and its frame once source-mapped.
 */
interface Position {
  readonly id: number
  /** How V8 names the function at this offset for the calls this position stands for (`nameVariant`). */
  readonly variant: string
  /**
   * The function's own name V8 gives there, in a script of the user's own: closures of one
   * function's code named apart (`Object.defineProperty(fn, 'name', …)`, sinon's proxies: one line
   * of `proxy.js` is `Object.existsSync` and `Object.statSync`); `undefined` elsewhere (not asked).
   */
  readonly fn: string | null | undefined
  /** The position of the same offset named another way, once one was seen (a short chain: usually none). */
  other: Position | undefined
  /** Its frame, source-mapped; `null`: no frame (no position, or loopcop's own code); `undefined`: not worked out yet. */
  frame: Frame | null | undefined
  /** Its frame for telling whose code it is (file and function, no line: see `generatedFrame`), likewise. */
  raw: Frame | null | undefined
  /** Whether it is `AsyncLocalStorage.run` (see `Stacks.#hideScopeRuns`); `undefined`: not worked out yet. */
  storageRun: boolean | undefined
  /** Whether it is in loopcop's own code; `undefined`: not worked out yet (only a storage run's caller is asked). */
  ownCode: boolean | undefined
}

/** A captured stack once read: its key (its positions' numbers) and its source-mapped frames. */
interface ReadStack {
  readonly key: string
  /** How many call sites V8 gave. */
  readonly captured: number
  /** The call sites and their positions, until the frames are worked out from them. */
  sites: readonly NodeJS.CallSite[] | undefined
  positions: readonly Position[] | undefined
  frames: Frame[] | undefined
  /** The frames at their generated positions (each the `raw` frame of one of `positions`, in order). */
  raw: Frame[] | undefined
  /** Its key up to its caller frame (see `Stacks.callerKey`); `null`: none; `undefined`: not worked out yet. */
  callerKey: string | null | undefined
  /** `caller` found the caller frame below the generated one (see `Stacks.callerMoved`). */
  callerMoved: boolean
  /** The caller frame at its generated position; `null`: none; `undefined`: not worked out yet. */
  rawCaller: Frame | null | undefined
}

/** Where a holder keeps what it read to (a property of loopcop's own holder, not a WeakMap: no ephemeron per kept call for the GC). */
const READ = Symbol('loopcop.read')
type Holder = RawStack & { [READ]?: ReadStack }

/** No frame: a call site with no position, or in loopcop's own code. */
const NO_FRAME = null

/**
 * The position an `AsyncLocalStorage.run` called from loopcop's own code stands at in a stack (the
 * scope a test's body, a hook or an `allowBlocking(fn)` runs in): no frame, as loopcop's own code
 * has none. Its number, 0, is no other position's.
 */
const SCOPE_RUN: Position = Object.freeze({ id: 0, variant: '', fn: undefined, other: undefined, frame: NO_FRAME, raw: NO_FRAME, storageRun: false, ownCode: true })

/** The code units of the key being made (see `Stacks.key`): one array for every read, reads never overlap. */
const KEY_CODES: number[] = []

/** The index of the position whose generated frame is `frame` (each position's is its own object), or -1. */
function indexOfFrame(positions: readonly Position[], frame: Frame): number {
  for (let i = 0; i < positions.length; i++) if ((positions[i] as Position).raw === frame) return i
  return -1
}

/**
 * The positions of one script name. In a script of the user's own (`own`: not Node's, not in
 * `node_modules`) a position is as exact as a frame: it stands for one version of the script, told by
 * V8's hash of its source — Mocha's and Jest's watch modes compile a file again under the same name
 * after an edit, where an offset is another line, column and function — and for one way V8 names its
 * function there (`nameVariant`, and the function's own name: closures of one code named apart). Those are the frames findings name as the user's code (`location`)
 * and `caller` rules with `function` look at. Node's modules and dependencies do not change while a
 * process runs, and their frames keep the name V8 gave the first call at each offset: asking V8 for
 * the receiver at each of a stack's 10–20 frames cost ~1.3 µs a kept call (bench/README.md,
 * "Twenty-seventh pass"), for an inherited method of a dependency called on two classes' instances.
 */
interface ScriptPositions {
  readonly byOffset: Map<number, Position>
  /** A script of the user's own: versioned, and named per receiver. */
  readonly own: boolean
  /** V8's hash of the source the positions are of (`own` scripts), once one was read. */
  hash: string | undefined
  /**
   * A spy or mock library's script: its positions are named per method called (`spyVariant`), for
   * the one function of jest-mock's that stands for every mock is `mockConstructor [as statSync]`
   * and `mockConstructor [as query]` by what was mocked (see `belowPassThrough` in frames.ts).
   */
  readonly spy: boolean
}

/** The variant of a constructor call (`new Fn`); a type name V8 gives is never this. */
const CONSTRUCTED = '\u0000new'

/**
 * What V8's name for a call site's function depends on besides the code position (see `v8Name`):
 * one inherited method is `Legacy.load` or `Modern.load` by its receiver's type, one function
 * `new Fn` or `Fn` by how it was called. Whether the call was a top-level one is not asked (a third
 * call into V8 a frame): its receiver has no type name V8 gives, so it shares a variant with a method
 * called on a receiver V8 cannot name, and the two are named as whichever came first. Two calls V8
 * names alike under two variants only get two positions.
 */
function nameVariant(site: NodeJS.CallSite): string {
  return site.isConstructor() ? CONSTRUCTED : (site.getTypeName() ?? '')
}

/** The variant of a call site in a spy library's script (`ScriptPositions.spy`): the method it was called as; a type name V8 gives never starts so. */
function spyVariant(site: NodeJS.CallSite): string {
  return `\u0000as ${site.getMethodName() ?? ''}`
}

/**
 * Whether a script is the user's own (see `ScriptPositions`): not Node's modules nor a dependency's
 * (hashing a large bundle's source would cost ~8 ms a MB, once a process).
 */
function isOwnScript(script: string): boolean {
  return !script.startsWith('node:') && !script.includes('/node_modules/') && !script.includes('\\node_modules\\')
}

/** What ends a key made up to a caller frame (see `Stacks.callerKey`): no position's number makes these two code units. */
const CALLER_KEY_END = '\uffff\uffff'

/** How many positions are remembered before the memo starts over (numbers keep counting up, so old keys never collide with new ones). */
const MAX_POSITIONS = 20_000

/**
 * Captures and reads stacks for one detector: knows loopcop's own folders (whose frames never
 * appear in findings), remembers each position it has read (by script and offset) and keeps the
 * frames of each distinct stack (calls from one site share one key, so each site is read and
 * source-mapped once).
 */
export class Stacks {
  readonly #guard: Guard
  /** Directories holding loopcop's own code (the built package, or the sources in this repository). */
  readonly #ownRoots: string[] = []
  /** Frames by stack key (bounded). */
  readonly #frames = new Map<string, Frame[]>()
  /** The frames a finding shows, by trace depth, then by stack key (bounded; see `reported`). */
  readonly #reported = new Map<number, Map<string, readonly Frame[]>>()
  /**
   * Positions by script name, then by offset in the script (bounded): a stack new as a whole is
   * mostly positions seen before, and finding one by number costs no string per frame.
   */
  readonly #byScript = new Map<string, ScriptPositions>()
  /** Positions of call sites with no script name (eval code), by their text (the first variant of each). */
  readonly #byText = new Map<string, Position>()
  #positions = 0
  #lastId = 0

  constructor(guard: Guard) {
    this.#guard = guard
  }

  /** Registers a directory as loopcop's own: frames in it never appear in findings. */
  addOwnRoot(dir: string): void {
    const withSep = dir.endsWith(sep) ? dir : dir + sep
    if (this.#ownRoots.includes(withSep)) return
    this.#ownRoots.push(withSep)
    this.#frames.clear()
    this.#reported.clear()
    this.#forgetPositions()
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
   * read. Returns the stack's key: two holders with one key have the same frames. Each position
   * stands as its number in two UTF-16 code units, the key made in one go: a flat string of 40
   * characters for 20 frames. (Built with `+=`, a key was a rope of ~40 strings, ~1 KB, that every
   * cache keyed by it held on to: 3 MB for 2,000 distinct stacks.) A stack formatted by someone
   * else before loopcop read it is keyed by its text, which never starts like a key (a text's
   * second character is never U+0000, a key's is for every position number below 65,536).
   */
  key(raw: RawStack): string {
    return this.#readOnce(raw).key
  }

  /**
   * Whether a holder was read as text, not call sites: someone formatted it first, or V8 did with
   * its own formatter, which it uses for a stack captured while a formatter runs (a probe served
   * inside a test's `new Error().stack`): then its positions are generated ones, not mapped.
   */
  readAsText(raw: Holder): boolean {
    return this.#readOnce(raw).sites === undefined
  }

  /**
   * Whether a kept call's stack may go on below the frames captured to search it: captured
   * `captureDepth` deep, and again `DEEPEST_SEARCH` deep when that showed no frame of the user's
   * (accounting/calls.ts, `#deepest`), it is cut when V8 gave as many frames as the deeper of the
   * two asked for. A shorter one is the whole stack.
   */
  cutBelowSearch(raw: Holder, captureDepth: number): boolean {
    return this.#readOnce(raw).captured >= Math.max(captureDepth, DEEPEST_SEARCH)
  }

  /**
   * Whether a holder captured `depth` frames deep got as many (the stack may go on below them),
   * counting every call site V8 gave: frames `rawFrames` leaves out (code made by `new Function`,
   * which ajv's validators are; loopcop's own) count too.
   */
  filled(raw: Holder, depth: number): boolean {
    return this.#readOnce(raw).captured >= depth
  }

  /**
   * Whether a holder captured `depth` frames deep holds the user's own frame (the caller), or the
   * whole stack (it was shorter than the limit). Told at generated positions: nothing is source-mapped.
   */
  holdsCaller(raw: Holder, depth: number): boolean {
    return (raw[READ]?.captured ?? depth) < depth || this.#rawCaller(raw) !== undefined
  }

  /**
   * The frames of a captured holder as their generated files and functions, loopcop's own left
   * out, with no line or column (0: see `generatedFrame`): no runner formatter, no source map, no
   * script's line ends worked out. What tells the user's own frames from a dependency's, Node's or
   * a runner's (a file in `node_modules/vitest` is Vitest's wherever its source map points), at a
   * fraction of the cost of `read` under Vitest and Jest, whose formatters source-map each position
   * (~0.25 ms a new one). One frame object a position, as long as they were asked for before the
   * holder was `read` (after, its source-mapped frames); a holder someone else formatted first
   * gives the frames parsed from its text.
   */
  rawFrames(raw: Holder): readonly Frame[] {
    const read = this.#readOnce(raw)
    if (read.raw !== undefined) return read.raw
    const sites = read.sites
    const positions = read.positions
    // Formatted before loopcop read it (its text is all there is): the frames parsed from it.
    if (sites === undefined || positions === undefined) return read.frames ?? []
    const frames: Frame[] = []
    for (let i = 0; i < positions.length; i++) {
      const frame = (positions[i] as Position).raw
      if (frame === undefined) return (read.raw = this.#newRawFrames(sites, positions))
      if (frame !== NO_FRAME) frames.push(frame)
    }
    read.raw = frames
    return frames
  }

  /**
   * `rawFrames` of a stack holding a position not worked out yet. Apart from it (and so is
   * `#newFrames` from `#frameSites`), so that the loop every kept call runs holds no call that
   * only a process's first calls make: V8's optimizing compiler inlines every call a function has
   * made, and with this one inlined, compiling `rawFrames` took 12–18 ms of a process's CPU, more
   * than the compiled code saved in a suite of a few thousand kept calls (bench/README.md,
   * "Fiftieth pass").
   */
  #newRawFrames(sites: readonly NodeJS.CallSite[], positions: readonly Position[]): Frame[] {
    const frames: Frame[] = []
    for (let i = 0; i < positions.length; i++) {
      const position = positions[i] as Position
      let frame = position.raw
      if (frame === undefined) frame = position.raw = this.#rawFrameOf(sites[i] as NodeJS.CallSite)
      if (frame !== NO_FRAME) frames.push(frame)
    }
    return frames
  }

  /**
   * The user's own frame nearest to the call (the caller frame), source-mapped: found at generated
   * positions, then only its own position mapped. Where mapping makes it another kind of frame
   * (a rare source map pointing into a dependency), the first own frame of the mapped stack.
   */
  caller(raw: Holder): Frame | undefined {
    const read = this.#readOnce(raw)
    if (read.frames !== undefined) return firstPartyFrame(read.frames)
    const own = this.#rawCaller(raw)
    const sites = read.sites
    const positions = read.positions
    if (own === undefined || sites === undefined || positions === undefined) return own
    const at = indexOfFrame(positions, own)
    if (at === -1) return own
    const mapped = this.#mapped(sites, positions, at)
    if (mapped !== NO_FRAME && firstPartyFrame([mapped]) === mapped) return mapped
    read.callerMoved = true
    return firstPartyFrame(this.read(raw))
  }

  /**
   * The key of a captured holder's positions up to and including its caller frame's, told at
   * generated positions (nothing is source-mapped), for what depends on nothing below that frame:
   * calls from one helper share it whichever test called the helper. `undefined` when the holder
   * has no caller frame, or was formatted by someone else first. The key ends in two code units no
   * position makes (U+FFFF U+FFFF: a position number's high unit is never that), so it never equals
   * a whole stack's key. Where mapping the caller frame makes it another kind of frame, `caller`
   * looks further down: `callerMoved` then says so, and the key does not stand for the stack.
   */
  callerKey(raw: Holder): string | undefined {
    const read = this.#readOnce(raw)
    // Read whole already: `caller` then answers from the mapped frames, and the whole key costs no more.
    if (read.frames !== undefined) return undefined
    if (read.callerKey !== undefined) return read.callerKey ?? undefined
    const positions = read.positions
    let key: string | null = null
    if (positions !== undefined && read.sites !== undefined) {
      const own = this.#rawCaller(raw)
      const at = own === undefined ? -1 : indexOfFrame(positions, own)
      if (at !== -1) key = read.key.slice(0, 2 * (at + 1)) + CALLER_KEY_END
    }
    read.callerKey = key
    return key ?? undefined
  }

  /** The caller frame at its generated position (`firstPartyFrame` of `rawFrames`), worked out once a holder: a kept call asks for it three or four times. */
  #rawCaller(raw: Holder): Frame | undefined {
    const read = this.#readOnce(raw)
    if (read.rawCaller === undefined) read.rawCaller = firstPartyFrame(this.rawFrames(raw)) ?? null
    return read.rawCaller ?? undefined
  }

  /** Whether `caller` found the caller frame below the generated one, its mapping having made that one another kind of frame. */
  callerMoved(raw: Holder): boolean {
    return this.#readOnce(raw).callerMoved
  }

  /**
   * The frames of a captured holder, loopcop's own left out, each source-mapped through the
   * runner's formatter or Node's source maps (once per position and process), function names as
   * V8 gives them.
   */
  read(raw: Holder): Frame[] {
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
    // The holder's call sites (V8 keeps them as its `stack` once read) are done with: a kept call
    // lives until its scope ends, its 20 call sites need not.
    Reflect.set(raw, 'stack', undefined)
    return frames
  }

  /**
   * The frames a finding shows, source-mapped, without mapping the rest: the first `depth` frames,
   * the user's own frame (`caller`) and the dependency frame that made the call (`offenderFrame`),
   * in stack order. What a finding reads of its frames (`reportedFrames`, `locate`, `siteKey`)
   * comes out as from `read`, at a fraction of its cost under Vitest and Jest: a kept call captures
   * `traceDepth` + 10 frames, and each new position costs the runner's formatter ~0.25 ms. Whose
   * code each frame is, is told at generated positions (as `caller` does); where mapping makes one
   * of the shown frames another kind of frame, or leaves one out, all of them are read.
   */
  reported(raw: Holder, depth: number): readonly Frame[] {
    const read = this.#readOnce(raw)
    if (read.frames !== undefined) return read.frames
    let byKey = this.#reported.get(depth)
    if (byKey === undefined) this.#reported.set(depth, (byKey = new Map<string, readonly Frame[]>()))
    const known = this.#frames.get(read.key) ?? byKey.get(read.key)
    if (known !== undefined) return known
    const generated = this.rawFrames(raw)
    const positions = read.positions
    const sites = read.sites
    // A short stack (or one formatted before loopcop read it) has nothing to leave out.
    if (positions === undefined || sites === undefined || generated.length <= depth + 1) return this.read(raw)
    const own = this.caller(raw)
    // Where the caller frame's mapping made it another kind of frame, `caller` read them all.
    const all = this.#readOnce(raw).frames
    if (all !== undefined) return all
    const ownRaw = this.#rawCaller(raw)
    const offenderRaw = offenderFrame(generated)
    const shown: Frame[] = []
    let offender: Frame | undefined
    // The generated frames are the positions' own `raw` frames, in order (see `rawFrames`): `i`
    // counts them, skipping positions with no frame.
    let i = -1
    for (let p = 0; p < positions.length; p++) {
      const position = positions[p] as Position
      const g = position.raw
      if (g === NO_FRAME || g === undefined) continue
      i++
      if (g === ownRaw && own !== undefined) {
        shown.push(own)
        continue
      }
      if (i >= depth && g !== offenderRaw) continue
      const frame = this.#mapped(sites, positions, p)
      if (frame === NO_FRAME) return this.read(raw)
      if (g === offenderRaw) offender = frame
      shown.push(frame)
    }
    if (firstPartyFrame(shown) !== own || offenderFrame(shown) !== offender) return this.read(raw)
    if (byKey.size > 5_000) byKey.clear()
    byKey.set(read.key, shown)
    return shown
  }

  /** The `at`th position of a holder not read yet, source-mapped (once per position; source maps may read files: the guard is up). */
  #mapped(sites: readonly NodeJS.CallSite[], positions: readonly Position[], at: number): Frame | typeof NO_FRAME {
    const position = positions[at] as Position
    if (position.frame !== undefined) return position.frame
    this.#guard.depth++
    try {
      return (position.frame = this.#frameOf(sites[at] as NodeJS.CallSite, position.raw))
    } finally {
      this.#guard.depth--
    }
  }

  /** Frames that are not loopcop's own, nor the `AsyncLocalStorage.run` of its scope (for frames that did not come through `read`). */
  withoutOwnFrames(frames: readonly Frame[]): Frame[] {
    return withoutOwn(
      frames,
      frames.map((f) => this.isOwnFile(f.file)),
      isStorageFrame,
    )
  }

  #readOnce(raw: Holder): ReadStack {
    let read = raw[READ]
    if (read !== undefined) return read
    const sites = readCallSites(raw)
    if (typeof sites === 'string') {
      // Formatted already by someone else's read: the text is all there is (its positions are mapped).
      const frames = this.#frames.get(sites) ?? this.withoutOwnFrames(parseStack(sites))
      read = { key: sites, captured: frames.length, sites: undefined, positions: undefined, frames, raw: undefined, callerKey: undefined, callerMoved: false, rawCaller: undefined }
    } else {
      const all = sites ?? []
      const positions = new Array<Position>(all.length)
      // The key's code units, in an array used again for every read: nothing made per call but the key.
      const codes = KEY_CODES
      codes.length = all.length * 2
      let storageRuns = false
      for (let i = 0; i < all.length; i++) {
        const site = all[i] as NodeJS.CallSite
        const position = this.#position(site)
        positions[i] = position
        if (position.storageRun === undefined) position.storageRun = isStorageRun(site)
        if (position.storageRun) storageRuns = true
      }
      if (storageRuns) this.#hideScopeRuns(all, positions)
      for (let i = 0; i < positions.length; i++) {
        const id = (positions[i] as Position).id
        codes[2 * i] = id & 0xffff
        codes[2 * i + 1] = id >>> 16
      }
      read = { key: String.fromCharCode(...codes), captured: all.length, sites: all, positions, frames: undefined, raw: undefined, callerKey: undefined, callerMoved: false, rawCaller: undefined }
    }
    raw[READ] = read
    return read
  }

  /**
   * The position of a call site: its script's name and the offset V8 gives (no line or column
   * worked out, no string made), or for eval code its text.
   */
  #position(site: NodeJS.CallSite): Position {
    const script = site.getFileName()
    let position: Position | undefined
    let variant = ''
    let fn: string | null | undefined
    // A script with no name (`''`: code the inspector evaluated) is told by its text, `sourceURL` included.
    if (typeof script === 'string' && script !== '') {
      let positions = this.#byScript.get(script)
      if (positions === undefined) this.#byScript.set(script, (positions = { byOffset: new Map<number, Position>(), own: isOwnScript(script), hash: undefined, spy: isSpyFile(script) }))
      if (positions.spy) variant = spyVariant(site)
      else if (positions.own) {
        // Computed by V8 once a script (a hash of its source) and kept with it. (Node 20 and later give it.)
        const hash = typeof site.getScriptHash === 'function' ? site.getScriptHash() : undefined
        if (hash !== positions.hash) {
          // Another version of the file: the old one's positions stand for code no longer run.
          if (positions.hash !== undefined) positions.byOffset.clear()
          positions.hash = hash
        }
        variant = nameVariant(site)
        fn = site.getFunctionName()
      }
      const offset = site.getPosition()
      position = positions.byOffset.get(offset)
      if (position === undefined) positions.byOffset.set(offset, (position = this.#newPosition(variant, fn)))
    } else {
      variant = nameVariant(site)
      fn = site.getFunctionName()
      const text = positionOf(site)
      position = this.#byText.get(text)
      if (position === undefined) this.#byText.set(text, (position = this.#newPosition(variant, fn)))
    }
    // The same offset named another way (another receiver's type, a constructor call, a closure named apart): a position of its own.
    while (position.variant !== variant || position.fn !== fn) position = position.other ??= this.#newPosition(variant, fn)
    return position
  }

  #newPosition(variant: string, fn: string | null | undefined): Position {
    if (++this.#positions > MAX_POSITIONS) this.#forgetPositions()
    return { id: ++this.#lastId, variant, fn, other: undefined, frame: undefined, raw: undefined, storageRun: undefined, ownCode: undefined }
  }

  /**
   * Puts `SCOPE_RUN` in place of each `AsyncLocalStorage.run` called from loopcop's own code (the
   * next site is its caller): Node's frame of loopcop's scope, which would otherwise stay in a
   * finding's stack between the test's function and the runner's (`BlockingIOError`'s stack, the
   * JSON report). A storage of the user's, run from the user's code, keeps its frame. One that ends
   * the capture (cut at its depth: no caller to tell by) is taken for the scope's, the run every
   * test's stack ends in; at worst a frame of Node's is left out.
   */
  #hideScopeRuns(sites: readonly NodeJS.CallSite[], positions: Position[]): void {
    for (let i = 0; i < positions.length; i++) {
      if ((positions[i] as Position).storageRun !== true) continue
      const caller = positions[i + 1]
      if (caller === undefined) {
        positions[i] = SCOPE_RUN
        continue
      }
      if (caller.ownCode === undefined) {
        const file: unknown = (sites[i + 1] as NodeJS.CallSite).getFileName()
        caller.ownCode = typeof file === 'string' && file !== '' && this.isOwnFile(toPath(file))
      }
      if (caller.ownCode) positions[i] = SCOPE_RUN
    }
  }

  #forgetPositions(): void {
    this.#byScript.clear()
    this.#byText.clear()
    this.#positions = 0
  }

  /** Frames of call sites: positions mapped where the runner or Node maps them, each position once (by `#newFrames`, with the guard up: source maps may read files). */
  #frameSites(sites: readonly NodeJS.CallSite[], positions: readonly Position[]): Frame[] {
    const frames: Frame[] = []
    for (let i = 0; i < positions.length; i++) {
      const frame = (positions[i] as Position).frame
      if (frame === undefined) return this.#newFrames(sites, positions)
      if (frame !== NO_FRAME) frames.push(frame)
    }
    return frames
  }

  /** `#frameSites` of a stack holding a position not source-mapped yet (apart from it: see `#newRawFrames`). */
  #newFrames(sites: readonly NodeJS.CallSite[], positions: readonly Position[]): Frame[] {
    const frames = new Array<Frame>(positions.length)
    let n = 0
    this.#guard.depth++
    try {
      for (let i = 0; i < positions.length; i++) {
        const position = positions[i] as Position
        // `null` (no frame) is an answer too: only `undefined` is not worked out yet.
        let frame = position.frame
        if (frame === undefined) frame = position.frame = this.#frameOf(sites[i] as NodeJS.CallSite, position.raw)
        if (frame !== NO_FRAME) frames[n++] = frame
      }
    } finally {
      this.#guard.depth--
    }
    frames.length = n
    return frames
  }

  /**
   * A position's frame, source-mapped. `raw`, its generated frame when worked out already, gives
   * the function and file (V8's names and a file URL's path cost more than the line and column).
   */
  #frameOf(site: NodeJS.CallSite, raw?: Frame | typeof NO_FRAME): Frame | typeof NO_FRAME {
    if (isExportGetter(site)) return NO_FRAME
    const frame = raw != null ? siteFrameFrom(raw, site) : siteFrame(site)
    if (frame === undefined || this.isOwnFile(frame.file)) return NO_FRAME
    const mapped = sourceFrame(frame, site)
    return this.isOwnFile(mapped.file) ? NO_FRAME : mapped
  }

  /** A position's generated frame; none for loopcop's own code and for a module runner's export getter (`isExportGetter`). */
  #rawFrameOf(site: NodeJS.CallSite): Frame | typeof NO_FRAME {
    if (isExportGetter(site)) return NO_FRAME
    const frame = generatedFrame(site)
    return frame === undefined || this.isOwnFile(frame.file) ? NO_FRAME : frame
  }

  /** Whether a file is loopcop's own (in one of the folders `addOwnRoot` registered). */
  isOwnFile(file: string): boolean {
    for (const root of this.#ownRoots) if (file.startsWith(root)) return true
    return false
  }
}
