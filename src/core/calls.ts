import { now } from './clock.js'
import { fileURLToPath } from 'node:url'
import { guard } from './context.js'
import { BlockingIOError } from './errors.js'
import { type KeptCall, STACKS_PER_OPERATION, framesOf, judge, makeSyncFinding, siteKey } from './findings.js'
import { findAllowingRule } from './allow.js'
import { reportInternalError } from './notify.js'
import type { Operation } from './operations.js'
import type { Scope } from './scope.js'
import { captureStack } from './stack.js'

/** Marks an argument summary not worked out yet (`undefined` is a summary: nothing to show). */
const UNSUMMARIZED = Symbol('unsummarized')

/** `String(value)`, or a placeholder when the value's own `toString` throws (user code, not ours to fail). */
function safeString(value: unknown): string {
  try {
    return String(value)
  } catch {
    return '[unprintable]'
  }
}

function pathText(value: unknown): string | undefined {
  if (typeof value === 'string') return value
  if (typeof value === 'number') return `fd ${value}`
  if (value instanceof URL) {
    try {
      return fileURLToPath(value)
    } catch {
      return value.href
    }
  }
  if (Buffer.isBuffer(value)) return value.toString()
  return undefined
}

/**
 * The path, command or size a call was given, as a string (nothing is kept of the arguments
 * themselves). Raw: allow rules match it as given; findings keep it redacted and clipped
 * (`redactSummary`).
 */
export function summarizeArgs(op: Operation, args: readonly unknown[]): string | undefined {
  const a0 = args[0]
  switch (op.arg) {
    case 'path':
      return pathText(a0)
    case 'fd':
      return typeof a0 === 'number' ? `fd ${a0}` : undefined
    case 'command': {
      if (typeof a0 !== 'string') return undefined
      const rest = Array.isArray(args[1]) ? (args[1] as unknown[]).map(safeString) : []
      return [a0, ...rest].join(' ')
    }
    case 'size':
      if (typeof a0 === 'string') return `${Buffer.byteLength(a0)} bytes`
      if (ArrayBuffer.isView(a0) || a0 instanceof ArrayBuffer) return `${a0.byteLength} bytes`
      return undefined
    case 'none':
      return undefined
  }
}

/** Calls the original with the depth guard up, and returns how long it blocked. */
function timed(original: Function, self: unknown, args: unknown[], out: { ms: number }): unknown {
  guard.depth++
  const t0 = now()
  try {
    return Reflect.apply(original, self, args)
  } finally {
    out.ms = now() - t0
    guard.blockedMs += out.ms
    guard.depth--
  }
}

/**
 * A blocking call inside an active, non-quiet scope, outside any other wrapped call. Everything
 * loopcop does here is guarded: its own failure is reported, never thrown into the caller.
 */
export function onBlockingCall(op: Operation, original: Function, self: unknown, args: unknown[], scope: Scope, wrapper: Function): unknown {
  if (op.blocksWithoutCallback === true && typeof args[args.length - 1] === 'function') return Reflect.apply(original, self, args)
  const s = scope.settings
  const out = { ms: 0 }
  if (scope.ended) return leakedCall(op, original, self, args, scope, wrapper, out)

  // Rules that need no stack decide before anything is captured. The argument summary they need
  // is the one a kept call records: worked out once.
  let arg: string | undefined | typeof UNSUMMARIZED = UNSUMMARIZED
  const argOf = (): string | undefined => (arg === UNSUMMARIZED ? (arg = summarizeArgs(op, args)) : arg)
  if (s.cheapRules.length > 0) {
    const view = { operation: op, arg: argOf(), frames: () => [] }
    const rule = findAllowingRule(s.cheapRules, view)
    if (rule !== undefined) {
      try {
        return timed(original, self, args, out)
      } finally {
        scope.tally(op).countAllowed(rule.label, out.ms)
      }
    }
  }

  const tally = scope.tally(op)
  if (s.mode === 'throw') {
    const kept: KeptCall = { raw: captureStack(s.traceDepth, wrapper), ms: 0, arg: argOf(), leak: false, raised: true }
    if (judge(kept, op, s.rules) === null) {
      tally.calls++
      tally.violation = true
      tally.kept.push(kept)
      const finding = makeSyncFinding(op, { calls: 1, ms: 0, maxMs: 0, frames: framesOf(kept), arg: kept.arg, verdict: null, leak: false, raised: true, unstacked: false }, scope)
      throw new BlockingIOError([finding], scope.test?.name)
    }
    try {
      return timed(original, self, args, out)
    } finally {
      tally.calls++
      tally.countAllowed(kept.verdict as string, out.ms)
    }
  }

  // Keep a stack for the first calls; after that only while every call so far was allowed,
  // because then each one must still be judged (the verdict never depends on sampling).
  const keep = tally.kept.length < STACKS_PER_OPERATION || !tally.violation
  const raw = keep ? captureStack(s.traceDepth, wrapper) : undefined
  try {
    return timed(original, self, args, out)
  } finally {
    try {
      const ms = out.ms
      tally.calls++
      tally.ms += ms
      if (ms > tally.maxMs) tally.maxMs = ms
      if (raw === undefined) {
        tally.unstackedCalls++
        tally.unstackedMs += ms
        if (ms > tally.unstackedMaxMs) tally.unstackedMaxMs = ms
      } else {
        const call: KeptCall = { raw, ms, arg: argOf(), leak: false, raised: false }
        if (tally.kept.length < STACKS_PER_OPERATION) {
          tally.kept.push(call)
          if (tally.kept.length === STACKS_PER_OPERATION && !tally.violation) {
            for (const k of tally.kept) if (judge(k, op, s.rules) === null) tally.violation = true
          }
        } else {
          const verdict = judge(call, op, s.rules)
          if (verdict === null) {
            tally.violation = true
            tally.kept.push(call)
          } else tally.countAllowed(verdict, ms)
        }
      }
    } catch (error) {
      scope.internalErrors.push(error)
      reportInternalError(error)
    }
  }
}

/** A call charged to a scope that has ended: judged at once and reported as a leak. */
function leakedCall(op: Operation, original: Function, self: unknown, args: unknown[], scope: Scope, wrapper: Function, out: { ms: number }): unknown {
  const s = scope.settings
  const kept: KeptCall = { raw: captureStack(s.traceDepth, wrapper), ms: 0, arg: summarizeArgs(op, args), leak: true, raised: false }
  try {
    return timed(original, self, args, out)
  } finally {
    try {
      const verdict = judge(kept, op, s.rules)
      if (verdict === null || !verdict.startsWith('built-in: ')) {
        const ms = out.ms
        const frames = framesOf(kept)
        // Aggregated by call site in the scope that leaked (see Scope.leakCall).
        scope.leakCall(`${op.id}\u0000${verdict ?? ''}\u0000${siteKey(frames)}`, ms, () =>
          makeSyncFinding(op, { calls: 1, ms, maxMs: ms, frames, arg: kept.arg, verdict, leak: true, raised: false, unstacked: false }, scope),
        )
      }
    } catch (error) {
      reportInternalError(error)
    }
  }
}
