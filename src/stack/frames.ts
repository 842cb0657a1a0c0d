// Stack frames as text and as data (docs/architecture.md, "stack"): parsing V8's stack text, telling
// the user's code from dependencies and Node's internals, and writing frames back for messages.
import { isAbsolute, relative, sep } from 'node:path'
import type { Frame, Location, Offender } from '../model/finding.js'
import { toPath } from './callsites.js'
import { projectCwd } from '../runtime/cwd.js'
import { isDependency, packageOf } from '../runtime/packages.js'

// One frame, possibly spanning lines (a file name may hold a newline). The position is anchored at
// the end, so a path may hold spaces, parentheses and colons: `at fn (/a/b (1)/c:d.js:3:4)`.
const FRAME = /^\s*at (?:(.+?) \(([^]+?):(\d+):(\d+)\)|([^]+?):(\d+):(\d+))$/
// Where the next frame starts: a line break and `at `, as V8 writes every frame after the header.
const NEXT_FRAME = /\n(?=[ \t]*at )/
// Frames with no position of their own (`at new Promise (<anonymous>)`, `at async Promise.all
// (index 0)`, `at native`): nothing to read, nothing lost.
const NO_POSITION = /^\s*at (?:.*\((?:<anonymous>|native|index \d+)\)|native|<anonymous>)$/

// `AsyncLocalStorage.run` or `.exit`, as V8 writes its frame: Node's own code, called by loopcop's scopes.
const ALS_FRAME = /^\s*at AsyncLocalStorage\.(?:run|exit) \(node:/

/**
 * Stack text without the frames in `isOwn` files (loopcop's, which a test runs inside) nor an
 * `AsyncLocalStorage.run` frame called from one (loopcop's scope: see `withoutOwn`); the header and
 * every other line as they were. The same text when it holds none.
 */
export function stackWithoutOwnFrames(stack: string, isOwn: (file: string) => boolean): string {
  const chunks = stack.split(NEXT_FRAME)
  const own = chunks.map((chunk, i) => {
    const frame = chunkFrame(chunk, i === 0)
    return frame !== undefined && frame.unparsed !== true && isOwn(frame.file)
  })
  if (!own.includes(true)) return stack
  return withoutOwn(chunks, own, (chunk) => ALS_FRAME.test(chunk)).join('\n')
}

/**
 * A stack's frames (as text, call sites or frames) without those `own` marks (loopcop's), nor the
 * `AsyncLocalStorage.run` or `.exit` called from one of them (the next frame is the caller), or from
 * another such frame taken out (Node 24's `exit` calls `run`): the scope loopcop runs a test's body,
 * a hook or an `allowBlocking(fn)` in, and the way out of it it takes to call a runner's `done`. A
 * storage of the user's, run from the user's code, stays.
 */
export function withoutOwn<T>(frames: readonly T[], own: readonly boolean[], isStorage: (frame: T) => boolean): T[] {
  const hidden = new Array<boolean>(frames.length)
  for (let i = frames.length - 1; i >= 0; i--) hidden[i] = own[i] === true || (hidden[i + 1] === true && isStorage(frames[i] as T))
  return frames.filter((_, i) => !hidden[i])
}

/** Whether a frame is `AsyncLocalStorage.run` or `.exit`, Node's code that loopcop's scopes call (`withoutOwn`). */
export function isStorageFrame(frame: Frame): boolean {
  return (frame.fn === 'AsyncLocalStorage.run' || frame.fn === 'AsyncLocalStorage.exit') && frame.file.startsWith('node:')
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
    const frame = chunkFrame(chunks[i] as string, i === 0)
    if (frame !== undefined) frames.push(frame)
  }
  return frames
}

/** One chunk of stack text (see `parseStack`) as a frame; undefined for the header and for a frame with no position. */
function chunkFrame(text: string, first: boolean): Frame | undefined {
  const chunk = text.trimEnd()
  const m = FRAME.exec(chunk)
  if (m === null) {
    // The first chunk is the header (`Error: message`) unless the text starts with a frame.
    if ((first && !/^\s*at /.test(chunk)) || NO_POSITION.test(chunk)) return undefined
    return { fn: undefined, file: chunk.replace(/^\s*at /, ''), line: 0, column: 0, unparsed: true }
  }
  if (m[2] !== undefined) {
    let fn = m[1]
    if (fn?.startsWith('async ')) fn = fn.slice(6)
    return { fn, file: toPath(m[2]), line: Number(m[3]), column: Number(m[4]) }
  }
  const file = (m[5] as string).startsWith('async ') ? (m[5] as string).slice(6) : (m[5] as string)
  return { fn: undefined, file: toPath(file), line: Number(m[6]), column: Number(m[7]) }
}

/** True for Node's own code (`node:fs`, `internal/…`). */
export function isInternal(file: string): boolean {
  return file.startsWith('node:') || file.startsWith('internal/') || file === '<anonymous>' || !file.includes('/')
}

/** True for code inside a `node_modules` folder (runtime/packages.ts, where the integrations reach it too). */
export { isDependency }

// Script files a module loader may run as `eval` code with their own path as `sourceURL` (Vite's
// module runner): their frames are the user's code, whatever V8 calls the function.
const SCRIPT = /\.(?:[cm]?[jt]sx?|vue|svelte|astro)$/

/**
 * True for code compiled at run time: `eval`, `new Function` (`eval at compile (…), <anonymous>`),
 * and templates compiled that way with a `sourceURL` (ejs's `eval ("…/views/login.ejs":12:17)`).
 * Such a frame is not the user's call site: a template's lines would split one call into as many
 * sites as the template has lines, and the code that ran it is further down the stack.
 */
export function isGenerated(frame: Frame): boolean {
  if (frame.unparsed === true) return false
  const file = frame.file
  if (file.startsWith('eval at ')) return true
  if (!isInternal(file) && !isAbsolute(file) && !/^[A-Za-z]:[\\/]/.test(file)) return true
  return frame.fn === 'eval' && !SCRIPT.test(file)
}

/**
 * The user's own frame nearest to the blocking call — the caller frame `caller` rules and the
 * "test code" rule look at: not Node's, not a dependency's, not generated code's (`isGenerated`).
 * A frame that could not be read counts as the user's: it may well be (nothing says it is the
 * runner's).
 */
export function firstPartyFrame(frames: readonly Frame[]): Frame | undefined {
  for (let i = 0; i < frames.length; i++) {
    const f = frames[i] as Frame
    if (f.unparsed === true || (!isInternal(f.file) && !isDependency(f.file) && !isGenerated(f))) {
      const below = belowPassThrough(frames, i)
      if (below === -1) return f
      i = below - 1
    }
  }
  return undefined
}

/**
 * The frames from the one below a pass-through mock's (`belowPassThrough`) or a spy's on, when the
 * call went through one; else all of them. What a failure's stack starts with, so that a runner's
 * code frame shows the line that called the mock, not the mock's implementation in the test file
 * (simple-git) nor the spy library's code.
 */
export function belowPassThroughMocks(frames: readonly Frame[]): readonly Frame[] {
  let from = 0
  // A spy's (or graceful-fs's) own frames on top: the call's caller is below them (sinon's
  // `spy.js:213` headed Mocha's copy of jsonwebtoken's failure).
  while (from < frames.length && (frames[from] as Frame).unparsed !== true && isPassThroughFrame(frames[from] as Frame)) from++
  for (let i = from; i < frames.length; i++) {
    const f = frames[i] as Frame
    if (f.unparsed !== true && (isInternal(f.file) || isDependency(f.file) || isGenerated(f))) continue
    const below = belowPassThrough(frames, i)
    if (below === -1) break
    from = below
    i = below - 1
  }
  return from === 0 ? frames : frames.slice(from)
}

/** A function name as V8 writes a blocking API's (`readFileSync`, `Object.mockConstructor [as spawnSync]`). */
const BLOCKING_NAME = /Sync\]?$/

/**
 * Where a pass-through mock of a blocking API ends: when `frames[i]` (the user's function) was
 * called by a spy or mock library standing in for a blocking API, the index of the first frame
 * below the library's frames, else -1 (also when no frame is below it). The user's function is then a mock's implementation that
 * passes the call on (`jest.spyOn(cp, 'spawnSync').mockImplementation((...a) => spawnSync(...a))`,
 * cross-spawn's tests): whoever called the mock made the call, not the test file the
 * implementation is written in. Told by the spy's name as V8 gives it, so that a mock of an async
 * API whose implementation reads a fixture (`mockImplementation(() => readFileSync(fixture))` for
 * `db.query`) stays the test's own call.
 */
function belowPassThrough(frames: readonly Frame[], i: number): number {
  let named = false
  let j = i + 1
  for (; j < frames.length; j++) {
    const f = frames[j] as Frame
    if (f.unparsed === true || !isSpyFrame(f)) break
    if (f.fn !== undefined && BLOCKING_NAME.test(f.fn)) named = true
  }
  return named ? j : -1
}

/** Spy and mock libraries: what passes through them is the caller's call, never the runner's. */
const SPY_PACKAGES = /^(?:@vitest\/spy|tinyspy|jest-mock|sinon|@sinonjs\/.*|testdouble)$/

/** Vitest 5's spies, bundled into a chunk of the `vitest` package itself (`dist/chunks/spy.BO0hTE3G.js`). */
const VITEST_SPY_CHUNK = /[\\/]node_modules[\\/]vitest[\\/]dist[\\/]chunks[\\/]spy\.[\w-]+\.js$/

/** A frame of a spy or mock library (`vi.spyOn(fs, …)`, `jest.spyOn`, sinon): it passes the call through. */
export function isSpyFrame(frame: Frame): boolean {
  return isSpyFile(frame.file)
}

/** Files told apart as a spy library's or not (bounded): `firstPartyFrame` asks of the frame under a caller frame at every kept call. */
const spyFiles = new Map<string, boolean>()

/** A file (a path, or a `file:` URL as V8 names an ES module) of a spy or mock library. */
export function isSpyFile(file: string): boolean {
  let spy = spyFiles.get(file)
  if (spy === undefined) {
    const pkg = packageOf(file)
    spy = pkg !== undefined && (SPY_PACKAGES.test(pkg) || (pkg === 'vitest' && VITEST_SPY_CHUNK.test(file)))
    if (spyFiles.size > 10_000) spyFiles.clear()
    spyFiles.set(file, spy)
  }
  return spy
}

/**
 * Packages whose sync functions are Node's own, wrapped in place: graceful-fs's `statFixSync`
 * calls `fs.statSync` for whoever called `gracefulFs.statSync` (enhanced-resolve's file system;
 * fs-extra's functions are graceful-fs's). Such a package did not make the call.
 */
const SHIM_PACKAGES = new Set(['graceful-fs'])

/** A frame that passes a call through for its caller: a spy's (`isSpyFrame`), or a shim's of Node's own API (`SHIM_PACKAGES`). */
export function isPassThroughFrame(frame: Frame): boolean {
  if (isSpyFile(frame.file)) return true
  const pkg = packageOf(frame.file)
  return pkg !== undefined && SHIM_PACKAGES.has(pkg)
}

/**
 * The dependency frame that made the blocking call, when the call came from `node_modules`. A spy
 * that passes the call through (`vi.spyOn(fs, 'readFileSync')`), or a shim of Node's API
 * (graceful-fs), did not make it: whoever called it did.
 */
export function offenderFrame(frames: readonly Frame[]): Frame | undefined {
  for (let i = 0; i < frames.length; i++) {
    const f = frames[i] as Frame
    if (f.unparsed === true) return undefined
    if (isInternal(f.file) || isGenerated(f) || isPassThroughFrame(f)) continue
    if (isDependency(f.file)) return f
    // A mock's implementation passing the call on (`belowPassThrough`): its caller made the call.
    const below = belowPassThrough(frames, i)
    if (below === -1) return undefined
    i = below - 1
  }
  return undefined
}

/**
 * The frames a finding keeps: the first `depth`, and the user's own frame (the caller, `own`) when it lies
 * deeper — captured beyond `traceDepth` so that a call a dependency makes still names the user's
 * line — and `also` wherever it lies (the frame an allow rule matched, see `allowingFrame`), in
 * stack order. Frames between them are left out.
 */
export function reportedFrames(frames: readonly Frame[], depth: number, own = firstPartyFrame(frames), also?: Frame): readonly Frame[] {
  if (frames.length <= depth) return frames
  if (also !== undefined) return frames.filter((f, i) => i < depth || f === own || f === also)
  const kept = frames.slice(0, depth)
  if (own !== undefined && !kept.includes(own)) kept.push(own)
  return kept
}

/**
 * The frame a finding is attributed to: the user's (`caller`), else that of the package that made
 * the call — above Node's own code it ran (undici's WebSocket, opened by a package from a callback,
 * calls randomBytes in node:internal) —, else the top frame.
 */
function siteFrame(frames: readonly Frame[], caller = firstPartyFrame(frames), offender?: Frame): Frame | undefined {
  return caller ?? offender ?? offenderFrame(frames) ?? frames[0]
}

/** Where a finding is attributed: its location (`siteFrame`) and the offending package. */
export function locate(frames: readonly Frame[], caller = firstPartyFrame(frames)): { readonly location?: Location; readonly offender?: Offender } {
  const offender = offenderFrame(frames)
  const own = siteFrame(frames, caller, offender)
  const pkg = offender === undefined ? undefined : packageOf(offender.file)
  const at: { location?: Location; offender?: Offender } = {}
  if (own !== undefined) at.location = own.fn === undefined ? { file: own.file, line: own.line, column: own.column } : { file: own.file, line: own.line, column: own.column, function: own.fn }
  if (offender !== undefined && pkg !== undefined) at.offender = { file: offender.file, line: offender.line, column: offender.column, package: pkg }
  return at
}

// A memo of a pure function (frame → its position as text): a read stack's frames are shared
// objects (one per position, see `Stacks`), and every kept call's site is keyed at its scope's end.
const framePositions = new WeakMap<Frame, string>()

/** A call site's key: where a finding is attributed (`siteFrame`). */
export function siteKey(frames: readonly Frame[]): string {
  const f = siteFrame(frames)
  if (f === undefined) return '?'
  let key = framePositions.get(f)
  if (key === undefined) framePositions.set(f, (key = `${f.file}:${f.line}:${f.column}`))
  return key
}

/** The path of an eval origin's position, `(/abs/src/tpl.js:3:3)`, with its `:line:column`. */
const EVAL_ORIGIN_PATH = /\(([^()]+?)(:\d+:\d+)\)/g

// A memo of a pure function ((cwd, file) → shown path), bounded: a run report shows the same few
// files in every frame of every finding, and `path.relative` costs a few µs each.
const shownPaths = new Map<string, string>()

/** A path as shown to the user: relative to the working directory when inside it. Memoized. */
export function displayPath(file: string, cwd = projectCwd()): string {
  if (isInternal(file)) return file
  const key = `${cwd}\u0000${file}`
  let shown = shownPaths.get(key)
  if (shown === undefined) {
    if (file.startsWith('eval at ')) {
      // Eval code is named by its origin, `eval at compile (/abs/src/tpl.js:3:3), <anonymous>`: the
      // origin's path is shown as any other (nested origins too).
      shown = file.replace(EVAL_ORIGIN_PATH, (whole: string, path: string, at: string) => (isAbsolute(path) ? `(${displayPath(path, cwd)}${at})` : whole))
    } else {
      const rel = relative(cwd, file)
      shown = rel.startsWith('..') || rel === '' ? file : rel.split(sep).join('/')
    }
    if (shownPaths.size > 10_000) shownPaths.clear()
    shownPaths.set(key, shown)
  }
  return shown
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
