// Reading a captured stack as V8's call sites, with loopcop's own `Error.prepareStackTrace` swapped in
// for the read only (docs/architecture.md, "stack"): a runner's formatter (Vitest's, Jest's
// source-map-support) costs ~0.1–0.5 ms a stack, V8's call sites a few µs.
import { fileURLToPath } from 'node:url'
import type { Frame } from '../model/finding.js'

/** A stack captured by V8 (`Error.captureStackTrace` into a holder), read late. */
export interface RawStack {
  stack?: unknown
}

/** loopcop's own formatter: the call sites as V8 gives them, nothing formatted. */
function ownPrepare(_error: unknown, sites: NodeJS.CallSite[]): NodeJS.CallSite[] {
  return sites
}

/**
 * The call sites of a captured holder, read with loopcop's formatter in place of the installed
 * one, which is put back whatever happens. A string when the holder had been formatted already
 * (someone read its `stack` before: the text is all there is), `undefined` when there is nothing.
 */
export function readCallSites(raw: RawStack): NodeJS.CallSite[] | string | undefined {
  // eslint-disable-next-line @typescript-eslint/unbound-method -- put back as it was, never called here
  const installed = Error.prepareStackTrace
  Error.prepareStackTrace = ownPrepare
  try {
    const value = raw.stack
    return Array.isArray(value) || typeof value === 'string' ? (value as NodeJS.CallSite[] | string) : undefined
  } finally {
    Error.prepareStackTrace = installed
  }
}

/**
 * The file of the nearest frame below `below` (the function whose caller is wanted) that `skip`
 * does not match, as a path, looking at most `depth` frames deep; `undefined` when there is none.
 * One capture of `depth` frames: ~1–2 µs for two on Node 24, ~3 on Node 20, ~2 µs more for six.
 */
export function callerFile(below: Function, skip: RegExp, depth: number): string | undefined {
  const holder: RawStack = {}
  const limit = Error.stackTraceLimit
  try {
    Error.stackTraceLimit = depth
    Error.captureStackTrace(holder, below)
  } finally {
    Error.stackTraceLimit = limit
  }
  const sites = readCallSites(holder)
  if (!Array.isArray(sites)) return undefined
  for (const site of sites) {
    const name = site.getFileName()
    if (name == null || name === '') continue
    const file = toPath(name)
    if (!skip.test(file)) return file
  }
  return undefined
}

/** The method of Node's `AsyncLocalStorage` a call site is in (`run`, `exit`, …), or `undefined` for any other code. */
function storageMethod(site: NodeJS.CallSite): string | undefined {
  if (site.getTypeName() !== 'AsyncLocalStorage' || !(site.getFileName() ?? '').startsWith('node:')) return undefined
  return site.getFunctionName() ?? undefined
}

/** Whether a call site is `AsyncLocalStorage.run`, Node's code that loopcop's scopes call (see `withoutOwn`). */
export function isStorageRun(site: NodeJS.CallSite): boolean {
  return storageMethod(site) === 'run'
}

/** Whether a call site is `AsyncLocalStorage.run` or `.exit`: what `withoutOwn` takes out when loopcop's code called it. */
export function isStorageSite(site: NodeJS.CallSite): boolean {
  const method = storageMethod(site)
  return method === 'run' || method === 'exit'
}

/** The function name exactly as V8's own formatter writes it (`Type.fn [as method]`, `new Fn`). */
export function v8Name(site: NodeJS.CallSite): string | undefined {
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

/**
 * The script a call site is in, as V8's own formatter names it: a path, a `file:` URL, `node:fs`;
 * eval code by its origin; a script with an empty name (code the inspector evaluated, such as the
 * stall probe) by its `//# sourceURL=`.
 */
export function scriptOf(site: NodeJS.CallSite): string {
  const file = site.getFileName()
  if (file == null) return (site.isEval() ? site.getEvalOrigin() : undefined) ?? '<anonymous>'
  return file === '' ? site.getScriptNameOrSourceURL() || file : file
}

/** File URLs converted so far (bounded): an ES module's frames name it by URL, and converting one costs ~1–10 µs. */
const paths = new Map<string, string>()

/** A file URL as a path; anything else as it is. */
export function toPath(file: string): string {
  if (!file.startsWith('file://')) return file
  let path = paths.get(file)
  if (path === undefined) {
    try {
      path = fileURLToPath(file)
    } catch {
      path = file
    }
    if (paths.size >= 2_000) paths.clear()
    paths.set(file, path)
  }
  return path
}

/**
 * A call site as a frame at its generated position (not source-mapped), or `undefined` for a
 * frame with no position (`new Promise (<anonymous>)`, `async Promise.all (index 0)`, native).
 */
export function siteFrame(site: NodeJS.CallSite): Frame | undefined {
  const line = site.getLineNumber()
  if (line === null) return undefined
  return { fn: v8Name(site), file: toPath(scriptOf(site)), line, column: site.getColumnNumber() ?? 0 }
}

/**
 * `siteFrame` of a call site whose generated frame (`generatedFrame`) is known: its function and
 * file, with the site's line and column.
 */
export function siteFrameFrom(generated: Frame, site: NodeJS.CallSite): Frame | undefined {
  const line = site.getLineNumber()
  if (line === null) return undefined
  return { fn: generated.fn, file: generated.file, line, column: site.getColumnNumber() ?? 0 }
}

/**
 * A call site as a frame that says whose code it is — its file and function — with no line or
 * column (both 0): V8 answers the first line number asked of a script by scanning its whole source
 * for line ends (4 ms for a 3.4 MB module, more for TypeScript's 9 MB bundle), and telling the
 * user's code from a dependency's, Node's or a runner's needs none. `undefined` for a frame with
 * no position (`new Promise (<anonymous>)`, `Array.map`, `async Promise.all (index 0)`), as
 * `siteFrame` says.
 */
export function generatedFrame(site: NodeJS.CallSite): Frame | undefined {
  if (site.getFileName() == null && !site.isEval()) return undefined
  return { fn: v8Name(site), file: toPath(scriptOf(site)), line: 0, column: 0 }
}

/**
 * Whether a call site is the getter a module runner defines for an export on a module's namespace
 * object (`Symbol.toStringTag` "Module"): Vite's `__vite_ssr_exportName__("addMinutes", () => { try {
 * return addMinutes } catch {} })`, Vite 6's `get(){ return addMinutes }`, webpack's. It only reads
 * a binding, so it is no frame of anyone's: a stall caught in it (date-fns: a loop calling
 * `addMinutes` through the namespace) is its caller's, and its position maps nowhere useful (a
 * JSDoc line, `1:1`). Anonymous or named `get`, reached as a property (V8's `Module.addMinutes`).
 */
export function isExportGetter(site: NodeJS.CallSite): boolean {
  if (site.getTypeName() !== 'Module') return false
  const fn = site.getFunctionName()
  return (fn == null || fn === '' || fn === 'get') && site.getMethodName() != null
}

/** Where a call site is: `script:line:column`, as V8 gives them (not source-mapped). */
export function positionOf(site: NodeJS.CallSite): string {
  return `${scriptOf(site)}:${site.getLineNumber() ?? ''}:${site.getColumnNumber() ?? ''}`
}
