// Sampled frames read through the runner's source maps (docs/architecture.md, "stall"). The
// sampling profiler gives positions in the code V8 ran — under Vitest, the module runner's
// transformed code — so the frames are handed to the installed `Error.prepareStackTrace` (Vite's
// module runner installs one in each test worker) as call sites, the way V8 hands it a captured
// stack, and its text is read back: the same positions a thrown error would show.
import type { Frame } from '../model/finding.js'
import type { Guard } from '../runtime/guard.js'
import { parseStack } from '../stack/frames.js'

/** A V8 call site made from a sampled frame: what a source-mapping `prepareStackTrace` reads. */
class SampledCallSite {
  readonly #frame: Frame

  constructor(frame: Frame) {
    this.#frame = frame
  }

  getThis(): undefined {
    return undefined
  }
  getTypeName(): null {
    return null
  }
  getFunction(): undefined {
    return undefined
  }
  getFunctionName(): string | null {
    return this.#frame.fn ?? null
  }
  getMethodName(): null {
    return null
  }
  getFileName(): string | undefined {
    return this.#frame.file
  }
  getLineNumber(): number {
    return this.#frame.line
  }
  getColumnNumber(): number {
    return this.#frame.column
  }
  getEvalOrigin(): undefined {
    return undefined
  }
  getScriptNameOrSourceURL(): string {
    return this.#frame.file
  }
  getScriptHash(): string {
    return ''
  }
  getEnclosingColumnNumber(): number {
    return this.#frame.column
  }
  getEnclosingLineNumber(): number {
    return this.#frame.line
  }
  getPosition(): number {
    return 0
  }
  getPromiseIndex(): null {
    return null
  }
  isToplevel(): boolean {
    return true
  }
  isEval(): boolean {
    return false
  }
  isNative(): boolean {
    return false
  }
  isConstructor(): boolean {
    return false
  }
  isAsync(): boolean {
    return false
  }
  isPromiseAll(): boolean {
    return false
  }
  toString(): string {
    const where = `${this.#frame.file}:${this.#frame.line}:${this.#frame.column}`
    return this.#frame.fn === undefined ? where : `${this.#frame.fn} (${where})`
  }
}

/**
 * The frames as the installed `Error.prepareStackTrace` shows them (source-mapped where it maps),
 * or as they are when none is installed or it fails. Run with the guard up: a source-mapping
 * formatter may read files synchronously, which is loopcop's work, never a finding.
 */
export function throughPrepareStackTrace(frames: readonly Frame[], guard: Guard): Frame[] {
  // eslint-disable-next-line @typescript-eslint/unbound-method -- called with the error as V8 would
  const prepare = Error.prepareStackTrace
  if (typeof prepare !== 'function' || frames.length === 0) return [...frames]
  try {
    const text = guard.hold(() => prepare(new Error('sampled'), frames.map((f) => new SampledCallSite(f)) as unknown as NodeJS.CallSite[]) as unknown)
    if (typeof text !== 'string') return [...frames]
    const mapped = parseStack(text)
    if (mapped.length !== frames.length) return [...frames]
    // The runner keeps the sampled names where its map has none.
    return mapped.map((f, i) => ({ ...f, fn: f.fn ?? frames[i]?.fn }))
  } catch {
    return [...frames]
  }
}
