// Who a stall belongs to and what it looked like (docs/architecture.md, "stall"): the scope it is
// charged to, the frames that are that scope's own, and whether it was only a module loading.
import type { Frame, StallFinding, TestRef } from '../model/finding.js'
import type { Verdict } from '../model/verdict.js'
import { firstPartyFrame, locate, reportedFrames } from '../stack/frames.js'
import { packageOf } from '../runtime/packages.js'
import type { Scope } from '../accounting/scope.js'
import { allowingFrame } from '../accounting/allow.js'

/**
 * Packages whose frames mean a module is being loaded. Not `vitest`/`@vitest/*` or
 * `jest-circus`: their frames sit under every test function, loading or not.
 */
const LOADER_PACKAGES = new Set(['vite', 'vite-node', 'jest-runtime', 'jest-resolve', '@jest/transform', 'tsx', 'ts-node', '@babel/register', 'pirates'])

/** A frame of a module loader: the stall is the evaluation or compilation of a module. */
export function isModuleLoading(f: Frame): boolean {
  // Node's own loaders, the first use of a bundled dependency (undici compiled on the first
  // `fetch()`), and the compiling of Node's own modules on first use (`requireBuiltin` in
  // bootstrap/realm). Not the rest of bootstrap/: its switches hold lazy getters (`process.stderr`)
  // that a stalling loop may well be calling. And `vm.SourceTextModule`'s linking and evaluation,
  // which Jest's ES module loader runs in continuations where none of jest-runtime's frames is on
  // the stack (prettier on Node 22: 15 stalls a run, unjudged, at `SourceTextModule.[kLink]`), as
  // jest-resolve's asynchronous resolution of an ES module's imports is (prettier on Jest 30).
  if (f.file.startsWith('node:internal/modules/') || f.file.startsWith('node:internal/deps/') || f.file.startsWith('node:internal/bootstrap/realm') || f.file === 'node:internal/vm/module') return true
  const pkg = packageOf(f.file)
  return pkg !== undefined && LOADER_PACKAGES.has(pkg)
}

/**
 * A frame of istanbul's coverage counter (`cov_1jn5cgyvn0()`, which every instrumented statement
 * calls: Jest's `--coverage`, nyc): a stall caught there is the statement that called it, so the
 * counter is left out of where a stall is (it maps to a comment line near the file's top).
 */
export function isCoverageCounter(f: Frame): boolean {
  return f.fn !== undefined && /^cov_[0-9a-z]+$/.test(f.fn)
}

/**
 * The scopes a stall without a probe may be charged to: the innermost open scopes. One when the
 * open scopes form one chain (serial tests, a detect() inside a test); several under concurrent
 * tests (`describe.concurrent`), where the culprit is unknowable from the scopes alone.
 */
export function innermostScopes(open: readonly Scope[]): Scope[] {
  return open.filter((s) => !open.some((o) => o !== s && isAncestor(s, o)))
}

function isAncestor(a: Scope, b: Scope): boolean {
  for (let p = b.parent; p !== undefined; p = p.parent) if (p === a) return true
  return false
}

/** Whether a scope, or one around it, allows everything (stalls included). */
export function allowsAll(scope: Scope): boolean {
  for (let p: Scope | undefined = scope; p !== undefined; p = p.parent) if (p.allowsAll) return true
  return false
}

/**
 * The stalled frames that are the scope's own: when the stall runs synchronously inside the call
 * that opened the scope (a `detect()` at a module's top level), the frames below the opening call
 * (the module loader running that module, say) are the caller's, not the scope's. `outer` is the
 * stack where the scope was opened, when it was captured; `same` tells one frame of both.
 */
export function ownFrames(frames: readonly Frame[], outer: readonly Frame[] | undefined, same: (a: Frame, b: Frame) => boolean = sameFrame): Frame[] {
  if (outer === undefined) return [...frames]
  let i = frames.length - 1
  let j = outer.length - 1
  while (i >= 0 && j >= 0 && same(frames[i] as Frame, outer[j] as Frame)) {
    i--
    j--
  }
  // Keep the frame that called into the scope (same function, another line) as the scope's own.
  return j < outer.length - 1 ? frames.slice(0, i + 1) : [...frames]
}

/** One frame, by position (frames read as `Stacks.rawFrames` gives them are one object per position, and carry no line). */
export function samePosition(a: Frame, b: Frame): boolean {
  return a === b
}

function sameFrame(a: Frame, b: Frame): boolean {
  return a.file === b.file && a.line === b.line && a.column === b.column && a.fn === b.fn
}

/** How long a stall lasted: its length, and its wall time when that was markedly longer (`StallFinding.wallMs`). */
export interface StallLength {
  readonly ms: number
  readonly wallMs?: number
}

/**
 * The finding of a stall of `length` in `scope`: located from all its frames, keeping the first
 * `traceDepth` and the user's own frame when deeper, as every finding does (the probe captures up
 * to a hundred, mostly the runner's machinery, which only made reports and the runner's messages
 * between its processes larger).
 */
export function stallFinding(id: string, length: StallLength, thresholdMs: number, sampled: readonly Frame[], scope: Scope, verdict: Verdict, unjudged?: string, candidates?: readonly TestRef[], cut = false): StallFinding {
  const frames = sampled.some(isCoverageCounter) ? sampled.filter((f) => !isCoverageCounter(f)) : sampled
  const rounded = Math.round(length.ms * 10) / 10
  const own = firstPartyFrame(frames)
  return {
    kind: 'stall',
    id,
    thresholdMs,
    durationMs: rounded,
    maxMs: rounded,
    calls: 1,
    allowed: verdict.kind === 'allowed',
    ...(verdict.kind === 'allowed' && { allowedBy: verdict.rule }),
    leak: false,
    ...(scope.test !== undefined && { test: scope.test }),
    ...locate(frames, own),
    frames: reportedFrames(frames, scope.settings.traceDepth, own, allowingFrame(verdict, frames)),
    mode: scope.settings.stallMode,
    ...(unjudged !== undefined && { unjudged }),
    ...(candidates !== undefined && candidates.length > 0 && { candidates }),
    ...(length.wallMs !== undefined && { wallMs: Math.round(length.wallMs * 10) / 10 }),
    ...(cut && own === undefined && { stackCut: true as const }),
  }
}

/**
 * The frames below a stack formatter's, when a stall's stack shows one at work: the code that asked
 * for a stack (`new Error().stack`) and the runner's formatter it made run (Vite's module runner's,
 * source-map-support) are one stretch of the code that asked, whose frames are its own. Judged by
 * the formatter's frames, a stall in Svelte's dev mode (`get_stack()` on every effect) was taken for
 * Vite's module loading and dropped. Node calls a formatter from `prepareStackTraceCallback` in
 * `node:internal/errors`; the deepest such frame is the first stack asked for.
 */
export function belowStackFormatter(frames: readonly Frame[]): readonly Frame[] {
  for (let i = frames.length - 1; i >= 0; i--) {
    const f = frames[i] as Frame
    if (f.file === 'node:internal/errors' && (f.fn === 'prepareStackTraceCallback' || f.fn === 'prepareStackTrace')) return frames.slice(i + 1)
  }
  return frames
}
