import { type CompiledRule, builtinRules, compileRule } from './allow.js'
import type { Redaction } from './redact.js'
import { DEFAULT_OPTIONS, type Mode, type Options, type ScopeOptions, type UserOptions, envOverrides, validateOptions } from './options.js'

/** Options resolved for one scope, with its rules compiled. */
export interface Settings {
  readonly mode: Mode
  readonly stallMs: number
  readonly stallMode: Mode
  readonly traceDepth: number
  readonly moduleLoading: boolean
  /** Built-in rules then the user's, compiled. */
  readonly rules: readonly CompiledRule[]
  /** The user rules that need no stack (operation, path, command): tried before capturing one. */
  readonly cheapRules: readonly CompiledRule[]
  /** How argument summaries are shown: extra patterns to redact, or `false` for none at all. */
  readonly redact: Redaction
}

let options: Options = DEFAULT_OPTIONS
let cached: Settings | undefined
let cachedEnv: string | undefined

/**
 * Merges `options` into the current configuration. Every option is validated; a wrong one (or an
 * unknown key) throws a `TypeError` naming the option, what was expected and what was given.
 * @example configure({ mode: 'warn', allow: ['fs.existsSync'] })
 */
export function configure(userOptions: UserOptions): void {
  const valid = validateOptions(userOptions, undefined, 'configure()')
  options = Object.freeze({ ...options, ...valid })
  cached = undefined
}

/** Restores the default configuration. */
configure.reset = function reset(): void {
  options = DEFAULT_OPTIONS
  cached = undefined
}

/** The configuration in force: `configure()`d options with the environment overrides on top. */
export function currentOptions(): Options {
  const env = envOverrides()
  // LOOPCOP_REPORT names the JSON path only: a configured `report.github` stays.
  return { ...options, ...env, ...(env.report !== undefined && { report: Object.freeze({ ...options.report, ...env.report }) }) }
}

function envKey(): string {
  const e = process.env
  return `${e.LOOPCOP_MODE ?? ''}|${e.LOOPCOP_STALL_MS ?? ''}|${e.LOOPCOP_REPORT ?? ''}`
}

function resolve(o: Options): Settings {
  const user = o.allow.map(compileRule)
  return Object.freeze({
    mode: o.mode,
    stallMs: o.stallMs,
    stallMode: o.stallMode,
    traceDepth: o.traceDepth,
    moduleLoading: o.moduleLoading,
    rules: [...user, ...builtinRules(o.moduleLoading)],
    cheapRules: user.filter((r) => !r.needsStack),
    redact: o.redact,
  })
}

/**
 * Settings for a new scope: the configuration, then the scope's own overrides (a `detect()`
 * call's or a matcher's). Override `allow` rules add to the configured ones.
 */
export function settingsFor(overrides?: ScopeOptions, what = 'options'): Settings {
  const key = envKey()
  if (cached === undefined || key !== cachedEnv) {
    cached = resolve(currentOptions())
    cachedEnv = key
  }
  if (overrides === undefined) return cached
  const valid = validateOptions(overrides, ['mode', 'stallMs', 'stallMode', 'traceDepth', 'allow', 'moduleLoading'], what)
  if (Object.keys(valid).length === 0) return cached
  const base = currentOptions()
  return resolve({ ...base, ...valid, allow: [...base.allow, ...(valid.allow ?? [])] })
}
