// The configuration of one detector (docs/architecture.md, "configuration"): what `configure()`
// merged, with the `LOOPCOP_*` environment on top, resolved into the settings a scope runs with.
import { CALLER_SEARCH_FRAMES, DEFAULT_OPTIONS, MAX_TRACE_DEPTH, type Mode, type Options, SCOPE_OPTION_KEYS, type ScopeOptions, type TestCodeMode, type UserOptions, envOverrides, scopeEnvOverrides, validateOptions } from '../model/options.js'
import { type CompiledRule, builtinRules, compileRule, looksPastRuleCaller } from './allow.js'
import type { Redaction } from './redact.js'

/** Options resolved for one scope, with its rules compiled. */
export interface Settings {
  readonly mode: Mode
  readonly stallMs: number
  readonly stallMode: Mode
  readonly traceDepth: number
  /**
   * Frames captured per call: `traceDepth` and `CALLER_SEARCH_FRAMES` more, so that the user's own
   * frame is found when a dependency makes the call deep inside itself (a finding then keeps its
   * first `traceDepth` frames and that one).
   */
  readonly captureDepth: number
  /**
   * Frames a kept call captures first when no rule looks past the caller frame (`traceDepth`), or
   * `undefined` when one may (a `within`, `package`, or `function` without `caller`). Such a stack
   * is captured again `captureDepth` deep only when its first frames do not show the caller (see
   * `Stacks.holdsCaller`): the verdict, the caller and the offender are the same, and most calls
   * capture and read half the frames. The finding then keeps the first `traceDepth` frames
   * captured, less loopcop's own and positionless ones among them (as before the deeper capture),
   * where a deep capture would fill `traceDepth` from further down (the runner's frames).
   */
  readonly shallowDepth: number | undefined
  readonly moduleLoading: boolean
  /** What the tests' own blocking calls get (see `Options.testCode`). */
  readonly testCode: TestCodeMode
  /** User rules then the built-in ones, compiled. */
  readonly rules: readonly CompiledRule[]
  /** The user rules that need no stack (operation, path, command): tried before capturing one. */
  readonly cheapRules: readonly CompiledRule[]
  /** How argument summaries are shown: extra patterns to redact, or `false` for none at all. */
  readonly redact: Redaction
}

function resolve(o: Options): Settings {
  const user = o.allow.map((rule) => compileRule(rule))
  const captureDepth = Math.min(o.traceDepth + CALLER_SEARCH_FRAMES, MAX_TRACE_DEPTH + CALLER_SEARCH_FRAMES)
  return Object.freeze({
    mode: o.mode,
    stallMs: o.stallMs,
    stallMode: o.stallMode,
    traceDepth: o.traceDepth,
    captureDepth,
    // Built-in rules look only above the caller frame, the "test code" rule at the caller frame.
    shallowDepth: user.some(looksPastRuleCaller) || o.traceDepth >= captureDepth ? undefined : o.traceDepth,
    moduleLoading: o.moduleLoading,
    testCode: o.testCode,
    rules: [...user, ...builtinRules(o.moduleLoading)],
    cheapRules: user.filter((r) => !r.needsStack),
    redact: o.redact,
  })
}

/** Whether overrides can never change: frozen, and so are their `allow` list and its rules. */
function isDeeplyFrozen(overrides: ScopeOptions): boolean {
  if (!Object.isFrozen(overrides)) return false
  const allow = overrides.allow
  return allow === undefined || (Object.isFrozen(allow) && allow.every((rule) => typeof rule === 'string' || Object.isFrozen(rule)))
}

/**
 * The four variables a scope's settings depend on (`scopeEnvOverrides`), as one string. A scope
 * reads only these: each `process.env` read is a call into Node's C++ (a lock and a `getenv`), and
 * a Mocha test's scope once read every `LOOPCOP_*` variable (on express, reading three fewer saved
 * ~3 K instructions a test; bench/README.md, "Forty-first pass").
 */
function scopeEnvKey(): string {
  const e = process.env
  return `${e.LOOPCOP_MODE ?? ''}|${e.LOOPCOP_STALL_MS ?? ''}|${e.LOOPCOP_STALL_MODE ?? ''}|${e.LOOPCOP_TEST_CODE ?? ''}`
}

/** The seven `LOOPCOP_*` variables, as one string: the configuration is worked out again when it changes. */
function envKey(): string {
  const e = process.env
  return `${scopeEnvKey()}|${e.LOOPCOP_REPORT ?? ''}|${e.LOOPCOP_BASELINE ?? ''}|${e.LOOPCOP_UPDATE_BASELINE ?? ''}`
}

/** The options `configure()` set, and the settings resolved from them (cached until either changes). */
export class Configuration {
  #options: Options = DEFAULT_OPTIONS
  /**
   * The settings of the options in force: resolved from the configured options and the scope's
   * variables (`scopeEnvKey`) they hold. The object itself tells the overrides' settings it is the
   * base of (`#byOverrides`).
   */
  #cached: { readonly options: Options; readonly env: string; readonly base: Options; readonly settings: Settings } | undefined
  /**
   * The settings of overrides that cannot change (frozen, their rules too: a Jest test file's
   * options, the same object for each of its tests), by the `#cached` entry they were resolved
   * from: validated and resolved once, and one settings object for all of them, so that the rule
   * list and the verdicts cached by it (`TestFiles.rulesFor`, `Judge`) are shared by the file's tests.
   */
  readonly #byOverrides = new WeakMap<ScopeOptions, { readonly from: object; readonly settings: Settings }>()
  #current: { readonly options: Options; readonly env: string; readonly resolved: Options } | undefined
  /** What `configure()` had set when this process's first test file started (see `startFile`). */
  #fileBase: Options | undefined

  /**
   * Merges `options` into the current configuration. Every option is validated; a wrong one (or an
   * unknown key) throws a `TypeError` naming the option, what was expected and what was given, and
   * `what` gave the options (`'configure()'`, or a runner's config key).
   */
  configure(userOptions: UserOptions, what = 'configure()'): void {
    const valid = validateOptions(userOptions, undefined, what)
    this.#options = Object.freeze({ ...this.#options, ...valid })
  }

  /** Restores the default configuration. */
  reset(): void {
    this.#options = DEFAULT_OPTIONS
  }

  /**
   * A test file starts in this process. Jest's workers, and Vitest's without isolation, run test
   * files one after another in one process, where a fresh process per file (Vitest's default,
   * `node --test`'s) forgets what the file configured: the first file marks what is configured
   * then as what every file starts from, and each later one puts that back, so that a
   * `configure()` made by a test file (or by the setup files run for it, which run again for the
   * next) does not outlast it.
   */
  startFile(): void {
    if (this.#fileBase === undefined) this.#fileBase = this.#options
    else this.#options = this.#fileBase
  }

  /** The `onFinding` callback `configure()` set (no environment variable sets one). */
  get onFinding(): Options['onFinding'] {
    return this.#options.onFinding
  }

  /**
   * The configuration in force: `configure()`d options with the environment overrides on top.
   * Worked out again only when either changed (reading the seven `LOOPCOP_*` variables is the check).
   */
  current(): Options {
    const key = envKey()
    if (this.#current === undefined || this.#current.options !== this.#options || this.#current.env !== key) {
      this.#current = { options: this.#options, env: key, resolved: this.#resolveCurrent() }
    }
    return this.#current.resolved
  }

  #resolveCurrent(): Options {
    const options = this.#options
    const env = envOverrides()
    // LOOPCOP_REPORT names the JSON path only: a configured `report.github` stays.
    // LOOPCOP_BASELINE names the path only: a configured `strict` stays.
    const strict = typeof options.baseline === 'object' ? options.baseline.strict : undefined
    return Object.freeze({
      ...options,
      ...env,
      ...(env.report !== undefined && { report: Object.freeze({ ...options.report, ...env.report }) }),
      ...(env.baseline !== undefined && { baseline: Object.freeze({ path: typeof env.baseline === 'string' ? env.baseline : env.baseline.path, ...(strict !== undefined && { strict }) }) }),
    })
  }

  /**
   * Settings for a new scope: the configuration, then the scope's own overrides (a `detect()`
   * call's or a matcher's). Override `allow` rules add to the configured ones.
   */
  settingsFor(overrides?: ScopeOptions, what = 'options'): Settings {
    // The same object until configure() or one of the scope's LOOPCOP_* variables changes.
    const env = scopeEnvKey()
    let cached = this.#cached
    if (cached === undefined || cached.options !== this.#options || cached.env !== env) {
      const options = this.#options
      const base = { ...options, ...scopeEnvOverrides() }
      cached = this.#cached = { options, env, base, settings: resolve(base) }
    }
    if (overrides === undefined) return cached.settings
    // Only deeply frozen overrides are kept here, and nothing unfreezes an object: a known one is
    // not checked again (a Jest test file's options are asked for once a test).
    const known = this.#byOverrides.get(overrides)
    if (known?.from === cached) return known.settings
    const fixed = known !== undefined || isDeeplyFrozen(overrides)
    const valid = validateOptions(overrides, SCOPE_OPTION_KEYS, what)
    const base = cached.base
    const settings = Object.keys(valid).length === 0 ? cached.settings : resolve({ ...base, ...valid, allow: [...base.allow, ...(valid.allow ?? [])] })
    if (fixed) this.#byOverrides.set(overrides, { from: cached, settings })
    return settings
  }
}
