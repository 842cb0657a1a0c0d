// The wrappers (docs/architecture.md, "intercept"): each keeps what it wraps indistinguishable —
// `this`, arguments, return value, thrown error, `name`, `length`, own properties, `new` — and
// outside a scope costs one lookup and a call.
import type { Operation } from '../model/operation.js'
import { copyOwnProperties } from '../runtime/functions.js'
import type { Guard } from '../runtime/guard.js'
import { raiseStackTraceLimit, restoreStackTraceLimit } from '../runtime/stack-limit.js'

/** What a wrapper looks at before anything else: the scope of the code running now. */
export interface ScopeLookup<S extends { readonly quiet: boolean }> {
  getStore(): S | undefined
}

/** Where a call made with no scope at all goes: the scope it is charged to, if any (see `Scopes.stray`). */
export interface StrayLookup<S> {
  readonly stray: S | undefined
}

/** What a wrapper calls for a blocking call inside a scope. */
export type OnBlockingCall<S> = (operation: Operation, original: Function, self: unknown, args: unknown[], scope: S, wrapper: Function) => unknown

/** What every wrapper of one detector shares. */
export interface WrapContext<S extends { readonly quiet: boolean }> {
  readonly scopes: ScopeLookup<S>
  readonly strays: StrayLookup<S>
  readonly guard: Guard
  readonly onCall: OnBlockingCall<S>
}

/**
 * Wraps `original` so that a call inside a scope is a finding. The wrapper keeps `this`,
 * arguments, return value and thrown error, and carries the original's own properties
 * (`name`, `length`, `prototype`, `fs.realpathSync.native`, …) and prototype (a subclass's
 * inherited statics). It can be called with `new` exactly when the original can.
 */
export function wrap<S extends { readonly quiet: boolean }>(ctx: WrapContext<S>, operation: Operation, original: Function): Function {
  const wrapper = isConstructor(original) ? constructorWrapper(ctx, operation, original) : methodWrapper(ctx, operation, original)
  copyOwnProperties(original, wrapper)
  const proto: unknown = Object.getPrototypeOf(original)
  if (Object.getPrototypeOf(wrapper) !== proto) Object.setPrototypeOf(wrapper, proto as object | null)
  return wrapper
}

function methodWrapper<S extends { readonly quiet: boolean }>({ scopes, strays, guard, onCall }: WrapContext<S>, operation: Operation, original: Function): Function {
  // A method, not a `function`: a method has no `prototype` of its own, so after the copy in `wrap`
  // the wrapper has exactly the original's own properties — none when it has none (`fs.Dir#readSync`,
  // `Atomics.wait`, class methods). A `function` always carries a non-configurable `prototype`.
  // eslint-disable-next-line @typescript-eslint/unbound-method -- a method for its shape (no `prototype`); it never reads `this` as its object
  const { wrapper } = {
    wrapper(this: unknown, ...args: unknown[]): unknown {
      // No scope at all: a call that lost its test's async context goes to the one test running.
      const scope = scopes.getStore() ?? strays.stray
      if (scope === undefined || scope.quiet || guard.depth !== 0) {
        // This frame stands between the original and its caller: an error it throws keeps the
        // caller's frames all the same (runtime/stack-limit.ts). Inline: a helper would be a frame.
        const limit = Error.stackTraceLimit
        const raised = raiseStackTraceLimit(limit, 1)
        try {
          return Reflect.apply(original, this, args)
        } finally {
          restoreStackTraceLimit(limit, raised)
        }
      }
      return onCall(operation, original, this, args, scope, wrapper)
    },
  }
  return wrapper
}

function constructorWrapper<S extends { readonly quiet: boolean }>({ scopes, strays, guard, onCall }: WrapContext<S>, operation: Operation, original: Function): Function {
  // A `function`: only a `function` can be called with `new`. Every constructor has a `prototype`
  // of its own (classes, `function`s), which `wrap` then copies over the wrapper's.
  const wrapper = function (this: unknown, ...args: unknown[]): unknown {
    const scope = scopes.getStore() ?? strays.stray
    const quiet = scope === undefined || scope.quiet || guard.depth !== 0
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- a `function` may be called with or without `new`
    if (new.target === undefined && !quiet) return onCall(operation, original, this, args, scope, wrapper)
    // Between the original and its caller: this frame when passing through, or `construct` below
    // (the recorded call's own frames are made up for where it is timed): see runtime/stack-limit.ts.
    const limit = Error.stackTraceLimit
    const raised = raiseStackTraceLimit(limit, 1)
    try {
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- a `function` may be called with or without `new`
      if (new.target === undefined) return Reflect.apply(original, this, args)
      // `new Wrapped()` builds what `new Original()` builds; `class Sub extends Wrapped` passes Sub.
      const newTarget: Function = new.target === wrapper ? original : new.target
      if (quiet) return Reflect.construct(original, args, newTarget)
      const construct = (...a: unknown[]): unknown => Reflect.construct(original, a, newTarget)
      return onCall(operation, construct, undefined, args, scope, wrapper)
    } finally {
      restoreStackTraceLimit(limit, raised)
    }
  }
  return wrapper
}

/** Answers every `new` of a probe (see isConstructor) without running or reading its target. */
const CONSTRUCT_PROBE: ProxyHandler<Function> = { construct: () => CONSTRUCT_PROBE }

/**
 * Whether `f` can be called with `new`, found out without calling it: a proxy has `[[Construct]]`
 * exactly when its target has, and its trap answers without touching `f`. (`Reflect.construct(Object,
 * [], f)` answered the same but made `f.prototype` and an object from it: ~20–40 µs a function on
 * Node 20, ~1.2 ms of the ~75 wrapped at install, against ~0.1 ms this way.)
 */
function isConstructor(f: Function): boolean {
  try {
    Reflect.construct(new Proxy(f, CONSTRUCT_PROBE), [])
    return true
  } catch {
    return false
  }
}
