import { relative, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import { guard } from './context.js'

/** A stack captured by V8 but not yet formatted: formatting costs as much as capturing, so it waits. */
export interface RawStack {
  stack?: unknown
}

/** One parsed stack frame. */
export interface Frame {
  /** Function as V8 prints it (`loadUsers`, `Server.handle`, `new Pool`), or `undefined` for top-level code. */
  readonly fn: string | undefined
  /** Absolute path (file URLs converted), `node:…` for Node internals, or `<anonymous>`. */
  readonly file: string
  readonly line: number
  readonly column: number
  /**
   * A stack line loopcop could not read (`file` then holds its text, `line` and `column` are 0).
   * It counts as the user's own frame: what called from there is unknown, so no built-in runner
   * rule may take the call for the runner's machinery.
   */
  readonly unparsed?: true
}

/** A source position. */
export interface Location {
  readonly file: string
  readonly line: number
  readonly column: number
}

/**
 * Captures the current stack into a holder, cutting every frame from `above` upwards (so
 * loopcop's wrapper never shows). `Error.stackTraceLimit` is lowered only for the capture.
 */
export function captureStack(depth: number, above: Function): RawStack {
  const holder: RawStack = {}
  const limit = Error.stackTraceLimit
  Error.stackTraceLimit = depth
  // With an `Error.prepareStackTrace` installed (Vitest's, source-map-support's), Node formats the
  // stack right here, not on first read: the guard is up for the same reason as in `stackText`.
  guard.depth++
  try {
    Error.captureStackTrace(holder, above)
  } finally {
    guard.depth--
    Error.stackTraceLimit = limit
  }
  return holder
}

// One frame, possibly spanning lines (a file name may hold a newline). The position is anchored at
// the end, so a path may hold spaces, parentheses and colons: `at fn (/a/b (1)/c:d.js:3:4)`.
const FRAME = /^\s*at (?:(.+?) \(([^]+?):(\d+):(\d+)\)|([^]+?):(\d+):(\d+))$/
// Where the next frame starts: a line break and `at `, as V8 writes every frame after the header.
const NEXT_FRAME = /\n(?=[ \t]*at )/
// Frames with no position of their own (`at new Promise (<anonymous>)`, `at async Promise.all
// (index 0)`, `at native`): nothing to read, nothing lost.
const NO_POSITION = /^\s*at (?:.*\((?:<anonymous>|native|index \d+)\)|native|<anonymous>)$/

function toPath(file: string): string {
  if (file.startsWith('file://')) {
    try {
      return fileURLToPath(file)
    } catch {
      return file
    }
  }
  return file
}

/**
 * Parses V8 stack text (`    at fn (file:1:2)`) into frames. A frame runs until the next line that
 * starts with `at `, so a file name holding a newline stays one frame; frames without a position
 * (`native`) are dropped, and a frame that cannot be read is kept as `unparsed` (see `Frame`).
 */
export function parseStack(text: string): Frame[] {
  const frames: Frame[] = []
  const chunks = text.split(NEXT_FRAME)
  for (let i = 0; i < chunks.length; i++) {
    const chunk = (chunks[i] as string).trimEnd()
    const m = FRAME.exec(chunk)
    if (m === null) {
      // The first chunk is the header (`Error: message`) unless the text starts with a frame.
      if ((i === 0 && !/^\s*at /.test(chunk)) || NO_POSITION.test(chunk)) continue
      frames.push({ fn: undefined, file: chunk.replace(/^\s*at /, ''), line: 0, column: 0, unparsed: true })
    } else if (m[2] !== undefined) {
      let fn = m[1]
      if (fn?.startsWith('async ')) fn = fn.slice(6)
      frames.push({ fn, file: toPath(m[2]), line: Number(m[3]), column: Number(m[4]) })
    } else if (m[5] !== undefined) {
      const file = m[5].startsWith('async ') ? m[5].slice(6) : m[5]
      frames.push({ fn: undefined, file: toPath(file), line: Number(m[6]), column: Number(m[7]) })
    }
  }
  return frames
}

/**
 * Formats a captured holder into frames, through whatever `Error.prepareStackTrace` is installed
 * (Node's `--enable-source-maps`, Vite's or source-map-support's), so positions are source-mapped
 * where the runner maps them. A `prepareStackTrace` that returns a non-string leaves no frames.
 */
export function readStack(raw: RawStack): Frame[] {
  const text = stackText(raw)
  if (typeof text !== 'string') return []
  let frames = parsed.get(text)
  if (frames === undefined) {
    frames = withV8Names(parseStack(text), v8Names.get(raw)).filter((f) => !isOwnFile(f.file))
    if (parsed.size > 5_000) parsed.clear()
    parsed.set(text, frames)
  }
  return frames
}

/**
 * Function names as V8 knows them, for stacks a runner formatted. source-map-support (which Jest
 * installs) renames each frame after the identifier at its mapped position — the function being
 * called there (`readFileSync`), not the one calling (`listUsers`). Positions stay the runner's.
 */
const v8Names = new WeakMap<RawStack, (string | undefined)[]>()

/** The function name exactly as V8's own formatter writes it (`Type.fn [as method]`, `new Fn`). */
function v8Name(site: NodeJS.CallSite): string | undefined {
  const fn = site.getFunctionName() ?? undefined
  if (site.isConstructor()) return `new ${fn ?? '<anonymous>'}`
  if (site.isToplevel()) return fn
  const type = site.getTypeName() ?? undefined
  const method = site.getMethodName() ?? undefined
  if (fn === undefined) return `${type ?? '<anonymous>'}.${method ?? '<anonymous>'}`
  let name = type !== undefined && !fn.startsWith(`${type}.`) ? `${type}.${fn}` : fn
  if (method !== undefined && fn !== method && !fn.endsWith(`.${method}`)) name += ` [as ${method}]`
  return name
}

function withV8Names(frames: Frame[], names: (string | undefined)[] | undefined): Frame[] {
  // Only when the runner kept one text frame per call site (frames without a position excepted).
  if (names === undefined || names.length !== frames.length) return frames
  return frames.map((f, i) => ({ ...f, fn: names[i] }))
}

/**
 * The text of a captured stack, formatted on first read. Formatting runs the installed
 * `Error.prepareStackTrace`, and a source-mapping one may read files synchronously
 * (source-map-support does): the depth guard is up meanwhile, so loopcop formatting a stack is
 * never itself a finding — nor, in `throw` mode, a `BlockingIOError` thrown out of the formatting.
 */
export function stackText(raw: RawStack): unknown {
  guard.depth++
  const prepare = Error.prepareStackTrace
  // A runner's formatter runs on the first read: hear V8's own names on the way (see v8Names).
  if (typeof prepare === 'function' && !v8Names.has(raw)) {
    Error.prepareStackTrace = function (this: unknown, error: Error, sites: NodeJS.CallSite[]) {
      try {
        v8Names.set(raw, sites.filter((site) => site.getLineNumber() !== null).map(v8Name))
      } catch {
        // names stay the runner's
      }
      return prepare.call(this, error, sites)
    }
  }
  try {
    return raw.stack
  } finally {
    Error.prepareStackTrace = prepare
    guard.depth--
  }
}

/** Parsed frames by stack text: calls from one site format to the same text, so each site is parsed once. */
const parsed = new Map<string, Frame[]>()

/** Directories holding loopcop's own code (the built package, or the sources in this repository). */
const ownRoots: string[] = []

/** Registers a directory as loopcop's own: frames in it never appear in findings. */
export function addOwnRoot(dir: string): void {
  const withSep = dir.endsWith(sep) ? dir : dir + sep
  if (!ownRoots.includes(withSep)) ownRoots.push(withSep)
}

/** Frames that are not loopcop's own (for frames that did not come through `readStack`). */
export function withoutOwnFrames(frames: readonly Frame[]): Frame[] {
  return frames.filter((f) => !isOwnFile(f.file))
}

function isOwnFile(file: string): boolean {
  for (const root of ownRoots) if (file.startsWith(root)) return true
  return false
}

/** True for Node's own code (`node:fs`, `internal/…`). */
export function isInternal(file: string): boolean {
  return file.startsWith('node:') || file.startsWith('internal/') || file === '<anonymous>' || !file.includes('/')
}

/** True for code inside a `node_modules` folder. */
export function isDependency(file: string): boolean {
  return file.includes(`${sep}node_modules${sep}`) || file.includes('/node_modules/')
}

const packages = new Map<string, string | undefined>()

/** The package a file belongs to (`pino`, `@scope/name`), or `undefined` for first-party code. Memoized per file. */
export function packageOf(file: string): string | undefined {
  if (packages.has(file)) return packages.get(file)
  const norm = file.split(sep).join('/')
  const at = norm.lastIndexOf('/node_modules/')
  let pkg: string | undefined
  if (at >= 0) {
    const rest = norm.slice(at + '/node_modules/'.length).split('/')
    if (rest[0] !== undefined) pkg = rest[0].startsWith('@') && rest[1] !== undefined ? `${rest[0]}/${rest[1]}` : rest[0]
  }
  if (packages.size > 10_000) packages.clear()
  packages.set(file, pkg)
  return pkg
}

/**
 * The user's own frame nearest to the blocking call: not Node's, not a dependency's. A frame that
 * could not be read counts as the user's: it may well be (nothing says it is the runner's).
 */
export function firstPartyFrame(frames: readonly Frame[]): Frame | undefined {
  return frames.find((f) => f.unparsed === true || (!isInternal(f.file) && !isDependency(f.file)))
}

/** The dependency frame that made the blocking call, when the call came from `node_modules`. */
export function offenderFrame(frames: readonly Frame[]): Frame | undefined {
  for (const f of frames) {
    if (f.unparsed === true) return undefined
    if (isInternal(f.file)) continue
    return isDependency(f.file) ? f : undefined
  }
  return undefined
}

/** A path as shown to the user: relative to the working directory when inside it. */
export function displayPath(file: string, cwd = process.cwd()): string {
  if (isInternal(file)) return file
  const rel = relative(cwd, file)
  return rel.startsWith('..') || rel === '' ? file : rel.split(sep).join('/')
}

/** Line breaks and other control characters of a file name, written as escapes so a frame stays one line. */
function oneLine(text: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are what is escaped
  return text.replace(/[\u0000-\u001f\u007f]/g, (c) => JSON.stringify(c).slice(1, -1))
}

/**
 * `fn (file:line:col)` with the file shown relative to the working directory, on one line (a
 * newline in a file name is shown as `\n`). A frame that could not be read is shown as it was.
 */
export function formatFrame(frame: Frame, cwd?: string): string {
  if (frame.unparsed === true) return `${oneLine(frame.file)} (unreadable stack line)`
  const where = `${oneLine(displayPath(frame.file, cwd))}:${frame.line}:${frame.column}`
  return frame.fn === undefined ? where : `${frame.fn} (${where})`
}

/** The V8 form `    at fn (file:line:col)` with the absolute path, as runners expect in `error.stack`. */
export function v8Line(frame: Frame): string {
  return frame.fn === undefined ? `    at ${frame.file}:${frame.line}:${frame.column}` : `    at ${frame.fn} (${frame.file}:${frame.line}:${frame.column})`
}
