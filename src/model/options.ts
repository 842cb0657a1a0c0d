// The options (docs/architecture.md, "configuration"): their types, defaults and validation. Each
// key is listed once, in `OPTION_KEYS`; the subsets a scope or an assertion takes are derived.
import type { Finding } from './finding.js'
import { MODES, type Mode } from './mode.js'

export { MODES, type Mode } from './mode.js'

/**
 * One allow rule. A finding is allowed when ANY rule matches ALL the fields the rule gives.
 * A plain string is shorthand for `{ operation: string }`.
 * @example 'fs.existsSync'
 * @example { operation: 'fs.readFileSync', path: '**\/fixtures/**' }
 * @example { caller: 'scripts/**' }
 * @example { within: 'src/legacy/config.ts', function: 'load*' }
 * @example { package: 'pino' }
 */
export type AllowRule = string | AllowRuleObject

/** The object form of an allow rule; every given field must match. */
export interface AllowRuleObject {
  /** Operation id or glob: `'fs.readFileSync'`, `'fs.*Sync'`, `'crypto.*'`. */
  readonly operation?: string
  /** Glob matched against the path argument (absolute, and relative to the working directory). */
  readonly path?: string
  /** Glob matched against the command of `execSync`/`execFileSync`/`spawnSync`; `*` matches any characters, `/` included (`'git *'`). */
  readonly command?: string
  /**
   * Glob matched against the file of the user's own frame that made the call: the frame nearest to
   * the call outside `node_modules`, Node's internals and `eval`/template code (absolute, or relative
   * to the working directory). `{ caller: 'test/**' }` allows what test files call themselves, never
   * what the code under test calls on their behalf.
   */
  readonly caller?: string
  /**
   * Glob matched against the file of any frame of the stack (BlockHound's
   * `allowBlockingCallsInside`): `{ within: 'src/legacy/config.ts', function: 'load*' }` allows
   * everything that runs inside that function, however deep.
   */
  readonly within?: string
  /**
   * Function name glob (`'loadSync'`, `'load*'`, `'Server.*'`) of the frame matched by `caller` or
   * `within`, or of any frame when neither is given. A method matches by its own name too
   * (`'handle'` matches `Server.handle`).
   */
  readonly function?: string
  /** An npm package name or glob: allowed when any captured frame lies in `node_modules/<package>/`. */
  readonly package?: string
}

/** Where the run report goes. */
export interface ReportOptions {
  /** Path of the JSON report written at the end of the run. */
  readonly json?: string
  /**
   * Print GitHub Actions annotations (`::error file=…`).
   * @default process.env.GITHUB_ACTIONS === 'true'
   */
  readonly github?: boolean
}

/**
 * The baseline file: findings recorded there are reported as known and do not fail; new ones fail;
 * entries not seen in a complete run are listed as fixed (and fail the run with `strict`).
 */
export interface BaselineOptions {
  /** Path of the baseline file, relative to the working directory. */
  readonly path: string
  /** Fail a complete run whose baseline lists call sites that no longer block. @default false */
  readonly strict?: boolean
}

/** Every option `configure()` accepts. */
export interface Options {
  /** @default 'fail' */
  readonly mode: Mode
  /** Report a synchronous stretch of the event loop longer than this many ms; `0` disables. @default 100 */
  readonly stallMs: number
  /** Like `mode`, for stalls. @default 'warn' */
  readonly stallMode: Mode
  /** Stack frames kept per finding, from 1 to 100. @default 10 */
  readonly traceDepth: number
  /** Allow rules, added to the built-in `defaults`. @default [] */
  readonly allow: readonly AllowRule[]
  /** Count `require` of not-yet-loaded modules inside a test as blocking. @default false */
  readonly moduleLoading: boolean
  /** Called once per finding; an exception it throws is reported once and never reaches the code under test. */
  readonly onFinding: ((finding: Finding) => void) | undefined
  /** Run report destinations. @default {} */
  readonly report: ReportOptions
  /**
   * Argument summaries (paths, commands) in messages, reports and annotations: credentials are
   * redacted by default (bearer/basic credentials, `--password=`-style flags, secret-looking
   * `KEY=VALUE`, `user:password@` in URLs, well-known token shapes). Give patterns (regular
   * expressions, or strings matched literally) to redact more, or `false` to record no arguments.
   * @default []
   * @example redact: [/internal-[a-z0-9]{12}/, process.env.DEPLOY_KEY]
   */
  readonly redact: readonly RegExp[] | false
  /**
   * Blocking calls the tests make themselves: a call whose caller frame (the user's own frame
   * nearest to it) is in a test file is allowed by the built-in rule "test code" — reported with
   * that rule and counted in the summary, never failing — because what a test suite checks is the
   * code under test. `'check'` counts them like any other call. Explicit `detect()`, matcher and
   * `assertNoBlocking` scopes always count everything. A test file is a file the runner runs as
   * one (Mocha: every spec file of the run; Vitest, Jest, node:test: the running test's file);
   * shared helpers are not: allow them with `{ caller: 'test/helpers/**' }`.
   * @default 'allow'
   */
  readonly testCode: TestCodeMode
  /**
   * A baseline file (a path, or `{ path, strict }`): the findings it records are known — reported,
   * never failing — so a suite adopts loopcop by failing only on new ones. `LOOPCOP_BASELINE` sets
   * the path; `LOOPCOP_UPDATE_BASELINE=1` writes the file from the run.
   * @default undefined
   * @example baseline: 'loopcop-baseline.json'
   * @example baseline: { path: 'loopcop-baseline.json', strict: true }
   */
  readonly baseline: string | BaselineOptions | undefined
}

/** What `testCode` does with blocking calls the tests make themselves. */
export type TestCodeMode = 'allow' | 'check'

/** The values `testCode` accepts. */
export const TEST_CODE_MODES = ['allow', 'check'] as const satisfies readonly TestCodeMode[]

/** Every option key, once: `configure()` accepts these and no other. */
export const OPTION_KEYS = ['mode', 'stallMs', 'stallMode', 'traceDepth', 'allow', 'moduleLoading', 'onFinding', 'report', 'redact', 'testCode', 'baseline'] as const satisfies readonly (keyof Options)[]

/** An option key. */
export type OptionKey = (typeof OPTION_KEYS)[number]

// Does not compile when `Options` gains a key `OPTION_KEYS` does not list.
type Exhaustive<T extends true> = T
type _EveryOptionKeyListed = Exhaustive<[Exclude<keyof Options, OptionKey>] extends [never] ? true : false>

/** The options a `detect()` call may override for its own scope (everything counts there: no `testCode`). */
export const DETECT_OPTION_KEYS = ['mode', 'stallMs', 'stallMode', 'traceDepth', 'allow', 'moduleLoading'] as const satisfies readonly OptionKey[]

/** The options a test's own scope may override (a Jest test file's): a `detect()` call's, and `testCode`. */
export const SCOPE_OPTION_KEYS = [...DETECT_OPTION_KEYS, 'testCode'] as const satisfies readonly OptionKey[]

/** The options an assertion takes (`assertNoBlocking`, `toBlockEventLoop`, Chai's `blockEventLoop`): it always records in `fail` mode. */
export const ASSERT_OPTION_KEYS = ['stallMs', 'allow', 'traceDepth', 'moduleLoading'] as const satisfies readonly (typeof DETECT_OPTION_KEYS)[number][]

/** What `configure()` takes: any subset of the options. */
export type UserOptions = Partial<Options>

/** The subset a test's own scope may override (a Jest test file's options). */
export type ScopeOptions = Partial<Pick<Options, (typeof SCOPE_OPTION_KEYS)[number]>>

/** The per-call subset a `detect()` call may override. */
export type DetectOptions = Partial<Pick<Options, (typeof DETECT_OPTION_KEYS)[number]>>

/** The options an assertion takes. */
export type AssertOptions = Partial<Pick<Options, (typeof ASSERT_OPTION_KEYS)[number]>>

/** Whether options watch for stalls: a threshold, and a mode that is not `off`. */
export function watchesStalls(options: Pick<Options, 'stallMs' | 'stallMode'>): boolean {
  return options.stallMs > 0 && options.stallMode !== 'off'
}

/** The defaults `configure.reset()` goes back to. */
export const DEFAULT_OPTIONS: Options = Object.freeze({
  mode: 'fail',
  stallMs: 100,
  stallMode: 'warn',
  traceDepth: 10,
  allow: Object.freeze([]),
  moduleLoading: false,
  onFinding: undefined,
  report: Object.freeze({}),
  redact: Object.freeze([]),
  testCode: 'allow',
  baseline: undefined,
})

const RULE_KEYS = ['operation', 'path', 'command', 'caller', 'within', 'function', 'package'] as const

/** Why `frame` is gone, and what to write instead (the rule's field is refused with this). */
const FRAME_REPLACED =
  'the field `frame` was replaced: it matched any frame of the stack, and every stack in a test passes through the test file, so `{ frame: \'test/**\' }` allowed real blocking calls in the code under test. ' +
  'Use `caller` for the user\'s own frame that made the call (`{ caller: \'test/**\' }` allows only what test files call themselves), or `within` for any frame of the stack (code that runs inside that file or function, however deep)'

function describe(value: unknown): string {
  if (typeof value === 'function') return `\`${value.name || 'anonymous'}\` (function)`
  let shown: string
  try {
    // Numbers as written (JSON would show NaN and Infinity as `null`).
    if (typeof value === 'bigint') shown = `${value}n`
    else if (typeof value === 'number') shown = String(value)
    else {
      // JSON.stringify gives undefined for undefined, functions and symbols.
      const json = JSON.stringify(value) as unknown
      shown = typeof json === 'string' ? json : String(value)
    }
  } catch {
    shown = String(value)
  }
  if (shown.length > 60) shown = shown.slice(0, 57) + '...'
  const type = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value
  return `\`${shown}\` (${type})`
}

/** How an option's error names the `LOOPCOP_*` variable it came from (`invalid`'s `where`). */
const FROM_VARIABLE = ' from the environment variable '

/**
 * Throws the option `TypeError` in loopcop's one sentence shape. One about a `LOOPCOP_*` variable
 * has no stack frames: they would be loopcop reading `process.env`, which tells the user nothing,
 * and the runner prints them as it stops.
 */
export function invalid(name: string, expected: string, value: unknown, where = ''): never {
  const error = new TypeError(`Expected \`${name}\` to be ${expected}, got ${describe(value)}${where}`)
  if (where.startsWith(FROM_VARIABLE)) error.stack = `${error.name}: ${error.message}`
  throw error
}

function checkMode(name: string, value: unknown, where?: string): Mode {
  if (typeof value !== 'string' || !(MODES as readonly string[]).includes(value)) {
    invalid(name, `one of ${MODES.map((m) => `'${m}'`).join(', ')}`, value, where)
  }
  return value as Mode
}

function checkNumber(name: string, value: unknown, min: number, integer: boolean, where?: string, max = Number.POSITIVE_INFINITY): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
    const kind = integer ? 'an integer' : 'a number'
    invalid(name, max === Number.POSITIVE_INFINITY ? `${kind} ≥ ${min}` : `${kind} from ${min} to ${max}`, value, where)
  }
  return value
}

/**
 * The most frames a finding keeps. Each frame costs on every call that keeps a stack (~0.4 µs), and
 * past a hundred the frames are the runner's own machinery: `traceDepth: 1e9` is a mistake.
 */
export const MAX_TRACE_DEPTH = 100

/**
 * Frames captured beyond `traceDepth` to find the user's own frame when a dependency makes the call
 * deep inside itself (exsolve, klaw-sync, resolve). Measured on Node 20 (bench/README.md, "deeper
 * capture"): each extra frame costs ~0.15–0.25 µs to capture and ~1 µs to format with V8's own
 * formatter, on each kept call; a formatter that reads call sites itself could format only the
 * first `traceDepth` and look for the user's frame among the rest (stack/capture.ts).
 */
export const CALLER_SEARCH_FRAMES = 10

/**
 * How deep a kept call's stack is searched for the user's own frame when the first `traceDepth` +
 * `CALLER_SEARCH_FRAMES` frames do not show it and go on below (accounting/calls.ts, `#deepest`): as
 * deep as the largest `traceDepth` searches. Only such calls pay for the second capture.
 */
export const DEEPEST_SEARCH = MAX_TRACE_DEPTH + CALLER_SEARCH_FRAMES

/** Validates one allow rule, naming its index when it is wrong. */
export function checkRule(rule: unknown, index: number, name = 'allow'): AllowRule {
  const at = `${name}[${index}]`
  if (typeof rule === 'string') {
    if (rule.length === 0) invalid(at, 'a non-empty operation glob or a rule object', rule)
    return rule
  }
  if (typeof rule !== 'object' || rule === null || Array.isArray(rule)) {
    invalid(at, "an operation glob (e.g. 'fs.existsSync') or a rule object", rule)
  }
  const keys = Object.keys(rule)
  if (keys.length === 0) invalid(at, `a rule with at least one of ${RULE_KEYS.join(', ')}`, rule)
  for (const key of keys) {
    if (key === 'frame') throw new TypeError(`Expected \`${at}\` to be a rule without \`frame\`, got ${describe(rule)}: ${FRAME_REPLACED}`)
    if (!(RULE_KEYS as readonly string[]).includes(key)) {
      invalid(at, `a rule with only the fields ${RULE_KEYS.join(', ')} (unknown field \`${key}\`)`, rule)
    }
    const value = (rule as Record<string, unknown>)[key]
    if (typeof value !== 'string' || value.length === 0) invalid(`${at}.${key}`, 'a non-empty string', value)
  }
  return rule
}

function checkRules(value: unknown, name = 'allow'): readonly AllowRule[] {
  if (!Array.isArray(value)) invalid(name, 'an array of allow rules', value)
  return Object.freeze(value.map((rule, i) => checkRule(rule, i, name)))
}

function checkReport(value: unknown): ReportOptions {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    invalid('report', 'an object `{ json?: string, github?: boolean }`', value)
  }
  const out: { json?: string; github?: boolean } = {}
  for (const [key, v] of Object.entries(value)) {
    if (key === 'json') {
      if (typeof v !== 'string' || v.length === 0) invalid('report.json', 'a non-empty file path', v)
      out.json = v
    } else if (key === 'github') {
      if (typeof v !== 'boolean') invalid('report.github', 'a boolean', v)
      out.github = v
    } else {
      invalid('report', `an object with only \`json\` and \`github\` (unknown key \`${key}\`)`, value)
    }
  }
  return Object.freeze(out)
}

/**
 * A RegExp of any realm: one made in a Jest test file or setup file, or in a Vitest `vmThreads`
 * test file, is another realm's, which `instanceof RegExp` does not recognise.
 */
function isRegExp(value: unknown): value is RegExp {
  return Object.prototype.toString.call(value) === '[object RegExp]'
}

function checkRedact(value: unknown): readonly RegExp[] | false {
  if (value === false) return false
  if (!Array.isArray(value)) invalid('redact', 'an array of patterns (RegExp, or strings matched literally) or `false`', value)
  return Object.freeze(
    value.map((p, i) => {
      if (p instanceof RegExp) return p
      // Copied into this realm, the pattern is used (and cached by) like any other.
      if (isRegExp(p)) return new RegExp(p.source, p.flags)
      if (typeof p === 'string' && p.length > 0) return new RegExp(p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'g')
      return invalid(`redact[${i}]`, 'a RegExp or a non-empty string', p)
    }),
  )
}

function checkBaseline(value: unknown): BaselineOptions | undefined {
  if (value === undefined) return undefined
  if (typeof value === 'string') {
    if (value.length === 0) invalid('baseline', 'a non-empty file path or `{ path, strict? }`', value)
    return Object.freeze({ path: value, strict: false })
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) invalid('baseline', 'a file path or an object `{ path: string, strict?: boolean }`', value)
  const out: { path?: string; strict: boolean } = { strict: false }
  for (const [key, v] of Object.entries(value)) {
    if (key === 'path') {
      if (typeof v !== 'string' || v.length === 0) invalid('baseline.path', 'a non-empty file path', v)
      out.path = v
    } else if (key === 'strict') {
      if (typeof v !== 'boolean') invalid('baseline.strict', 'a boolean', v)
      out.strict = v
    } else {
      invalid('baseline', `an object with only \`path\` and \`strict\` (unknown key \`${key}\`)`, value)
    }
  }
  if (out.path === undefined) invalid('baseline.path', 'a non-empty file path', undefined)
  return Object.freeze({ path: out.path, strict: out.strict })
}

/** The baseline option in its object form (`undefined` when no baseline is configured). */
export function baselineOf(options: Partial<Pick<Options, 'baseline'>>): Required<BaselineOptions> | undefined {
  const b = options.baseline
  if (b === undefined) return undefined
  return typeof b === 'string' ? { path: b, strict: false } : { path: b.path, strict: b.strict ?? false }
}

/**
 * Whether `LOOPCOP_UPDATE_BASELINE` asks to write the baseline file from this run: `1`/`true` yes,
 * `0`/`false`/unset no, anything else a `TypeError`.
 */
export function updateBaselineRequested(env: NodeJS.ProcessEnv = process.env): boolean {
  const raw = env.LOOPCOP_UPDATE_BASELINE
  if (raw === undefined || raw === '' || raw === '0' || raw === 'false') return false
  if (raw === '1' || raw === 'true') return true
  return invalid('LOOPCOP_UPDATE_BASELINE', "'1' (or 'true') to write the baseline file from this run, or '0'", raw, `${FROM_VARIABLE}LOOPCOP_UPDATE_BASELINE`)
}

const CHECKS: { readonly [K in OptionKey]: (value: unknown) => Options[K] } = {
  mode: (v) => checkMode('mode', v),
  stallMs: (v) => checkNumber('stallMs', v, 0, false),
  stallMode: (v) => checkMode('stallMode', v),
  traceDepth: (v) => checkNumber('traceDepth', v, 1, true, undefined, MAX_TRACE_DEPTH),
  allow: (v) => checkRules(v),
  moduleLoading: (v) => {
    if (typeof v !== 'boolean') invalid('moduleLoading', 'a boolean', v)
    return v
  },
  onFinding: (v) => {
    if (v !== undefined && typeof v !== 'function') invalid('onFinding', 'a function `(finding) => void`', v)
    return v as Options['onFinding']
  },
  report: (v) => checkReport(v),
  redact: (v) => checkRedact(v),
  testCode: (v) => checkTestCode(v),
  baseline: (v) => checkBaseline(v),
}

/**
 * Validates a partial options object. Unknown keys are rejected (typo protection), and
 * `allowed` narrows which keys this caller accepts (a matcher takes fewer than `configure()`).
 */
export function validateOptions(value: unknown, allowed: readonly OptionKey[] = OPTION_KEYS, what = 'options'): Partial<Options> {
  if (value === undefined) return {}
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    invalid(what, `an object with any of ${allowed.join(', ')}`, value)
  }
  const out: Record<string, unknown> = {}
  for (const [key, v] of Object.entries(value)) {
    if (!(allowed as readonly string[]).includes(key)) {
      const hint = nearest(key, allowed)
      throw new TypeError(`Unknown option \`${key}\` in ${what}${hint ? `: did you mean \`${hint}\`?` : '.'} Known options: ${allowed.join(', ')}`)
    }
    out[key] = CHECKS[key as OptionKey](v)
  }
  return out
}

function nearest(key: string, known: readonly string[]): string | undefined {
  const lower = key.toLowerCase()
  return known.find((k) => k.toLowerCase() === lower || k.toLowerCase().startsWith(lower.slice(0, 4)))
}

function checkTestCode(value: unknown, where?: string): TestCodeMode {
  if (typeof value !== 'string' || !(TEST_CODE_MODES as readonly string[]).includes(value)) invalid(where === undefined ? 'testCode' : 'LOOPCOP_TEST_CODE', `one of ${TEST_CODE_MODES.map((m) => `'${m}'`).join(', ')}`, value, where)
  return value as TestCodeMode
}

/**
 * Reads `LOOPCOP_MODE`, `LOOPCOP_STALL_MS`, `LOOPCOP_STALL_MODE`, `LOOPCOP_REPORT`, `LOOPCOP_TEST_CODE` and
 * `LOOPCOP_BASELINE` (a path; a configured `strict` stays), validated like the options they
 * override; checks `LOOPCOP_UPDATE_BASELINE`.
 */
export function envOverrides(env: NodeJS.ProcessEnv = process.env): Partial<Options> {
  const out: { -readonly [K in keyof ScopeEnvOverrides]: ScopeEnvOverrides[K] } & { report?: ReportOptions; baseline?: BaselineOptions } = scopeEnvOverrides(env)
  if (env.LOOPCOP_REPORT !== undefined && env.LOOPCOP_REPORT !== '') out.report = { json: env.LOOPCOP_REPORT }
  if (env.LOOPCOP_BASELINE !== undefined && env.LOOPCOP_BASELINE !== '') out.baseline = { path: env.LOOPCOP_BASELINE }
  updateBaselineRequested(env)
  return out
}

/**
 * Checks the `LOOPCOP_*` variables (`envOverrides`) as `entry` starts. A wrong one stops it with a
 * `TypeError` that names the entry and the variable, and nothing else: "loopcop/mocha cannot start:
 * Expected `LOOPCOP_MODE` to be one of …, got `"bogus"` (string) from the environment variable
 * LOOPCOP_MODE". Anything else thrown (a bug of loopcop's) keeps its stack, as the error's cause.
 */
export function checkEnvironment(entry: string): void {
  try {
    envOverrides()
  } catch (error) {
    const stack = error instanceof Error ? error.stack : undefined
    const plain = stack === undefined || !stack.includes('\n')
    const stopped = new TypeError(`${entry} cannot start: ${error instanceof Error ? error.message : String(error)}`, plain ? undefined : { cause: error })
    if (plain) stopped.stack = `${stopped.name}: ${stopped.message}`
    throw stopped
  }
}

/** The options the variables a scope's settings depend on override (`scopeEnvOverrides`). */
export type ScopeEnvOverrides = Partial<Pick<Options, 'mode' | 'stallMs' | 'stallMode' | 'testCode'>>

/**
 * Reads the variables a scope's settings depend on — `LOOPCOP_MODE`, `LOOPCOP_STALL_MS`,
 * `LOOPCOP_STALL_MODE`, `LOOPCOP_TEST_CODE` — validated like the options they override. The other
 * three name files of the run report, read where it is made (`envOverrides`). As the options are,
 * `LOOPCOP_MODE` is about blocking calls and `LOOPCOP_STALL_MODE` about stalls: a configured
 * `stallMode: 'fail'` still fails a test on a stall under `LOOPCOP_MODE=warn` alone.
 */
export function scopeEnvOverrides(env: NodeJS.ProcessEnv = process.env): ScopeEnvOverrides {
  const out: { -readonly [K in keyof ScopeEnvOverrides]: ScopeEnvOverrides[K] } = {}
  const where = (name: string) => `${FROM_VARIABLE}${name}`
  if (env.LOOPCOP_MODE !== undefined && env.LOOPCOP_MODE !== '') {
    out.mode = checkMode('LOOPCOP_MODE', env.LOOPCOP_MODE, where('LOOPCOP_MODE'))
  }
  if (env.LOOPCOP_STALL_MS !== undefined && env.LOOPCOP_STALL_MS !== '') {
    const raw = env.LOOPCOP_STALL_MS
    // Digits only (no `1e3`, `0x10`, `Infinity`), and finite like `stallMs`: 400 digits are Infinity.
    const n = /^\s*\d+(\.\d+)?\s*$/.test(raw) ? Number(raw) : NaN
    if (!Number.isFinite(n)) invalid('LOOPCOP_STALL_MS', 'a number ≥ 0', raw, where('LOOPCOP_STALL_MS'))
    out.stallMs = n
  }
  if (env.LOOPCOP_STALL_MODE !== undefined && env.LOOPCOP_STALL_MODE !== '') {
    out.stallMode = checkMode('LOOPCOP_STALL_MODE', env.LOOPCOP_STALL_MODE, where('LOOPCOP_STALL_MODE'))
  }
  if (env.LOOPCOP_TEST_CODE !== undefined && env.LOOPCOP_TEST_CODE !== '') out.testCode = checkTestCode(env.LOOPCOP_TEST_CODE, where('LOOPCOP_TEST_CODE'))
  return out
}
