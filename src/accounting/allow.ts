// Allow rules (docs/architecture.md, "allow rules"): the user's, compiled once per configuration,
// and the built-in ones that let the runners' own machinery block.
import { isAbsolute, relative, resolve, sep } from 'node:path'
import type { Frame } from '../model/finding.js'
import type { Operation } from '../model/operation.js'
import type { AllowRule, AllowRuleObject } from '../model/options.js'
import { type Allowed, TEST_CODE_RULE, VIOLATION, type Verdict, isBuiltinAllowance } from '../model/verdict.js'
import { firstPartyFrame, isSpyFrame, offenderFrame } from '../stack/frames.js'
import { isDependency, packageOf } from '../runtime/packages.js'
import { liveCwd, projectCwd } from '../runtime/cwd.js'

/** A call to judge: the operation, its argument summary and (lazily) its frames. */
export interface CallView {
  readonly operation: Operation
  /** Path or command the call was given, when the operation takes one. */
  readonly arg: string | undefined
  /** The call's frames; reading them formats the stack, so rules that need none never ask. */
  readonly frames: () => readonly Frame[]
  /**
   * The call's frames at their generated positions (not source-mapped; see `Stacks.rawFrames`):
   * enough to tell whose code a frame is, which is all built-in rules look at. Without it, `frames`.
   */
  readonly rawFrames?: () => readonly Frame[]
  /** The caller frame, source-mapped, worked out without mapping the rest (see `Stacks.caller`). Without it, from `frames`. */
  readonly caller?: () => Frame | undefined
}

/**
 * An allow rule made ready to match. Every field is present (`undefined` when the rule has none):
 * rules of one shape keep the matcher's property reads monomorphic — with optional fields spread in,
 * the ~45 rules of a list had a dozen shapes, and trying them cost ~70 ns a rule on every kept call.
 */
export interface CompiledRule {
  /** What the rule says, for reports: `'fs.existsSync'`, `{"package":"pino"}`, or a built-in rule's name. */
  readonly label: string
  readonly operation: RegExp | undefined
  readonly path: RegExp | undefined
  readonly command: RegExp | undefined
  /** Whether the caller frame's file (the user's own frame nearest to the call) is one the rule means. */
  readonly caller: ((file: string) => boolean) | undefined
  /** Any frame of the stack in a file matching this (with `fn` and `pkg`, the same frame). */
  readonly within: RegExp | undefined
  readonly fn: RegExp | undefined
  readonly pkg: RegExp | undefined
  /** Whether matching needs the stack (caller, within, function or package fields). */
  readonly needsStack: boolean
  /**
   * A built-in rule: it matches only the frames above the user's first own frame (the runner's
   * machinery making the call; otherwise every stack would pass through the runner and match),
   * and what it allows is never reported.
   */
  readonly builtin: boolean
  /**
   * A built-in rule for a library the user's code may call itself (see `BuiltinRule.withoutCaller`):
   * it matches only a call with no frame of the user's own among its captured frames.
   */
  readonly withoutCaller: boolean
  /** The verdict the rule gives (one object per rule, not one per call it allows). */
  readonly verdict: Allowed
}

/** The fields a compiled rule is made of, the absent ones left out. */
type RuleFields = Partial<Pick<CompiledRule, 'operation' | 'path' | 'command' | 'caller' | 'within' | 'fn' | 'pkg'>>

/** A compiled rule of the one shape every rule has (see `CompiledRule`). */
function compiled(label: string, f: RuleFields, builtin: boolean, withoutCaller = false): CompiledRule {
  const needsStack = f.caller !== undefined || f.within !== undefined || f.fn !== undefined || f.pkg !== undefined
  const rule: CompiledRule = {
    label,
    operation: f.operation,
    path: f.path,
    command: f.command,
    caller: f.caller,
    within: f.within,
    fn: f.fn,
    pkg: f.pkg,
    needsStack,
    builtin,
    withoutCaller,
    verdict: Object.freeze({ kind: 'allowed', rule: label, builtin } as const),
  }
  if (looksPastRuleCaller(rule)) anyFrameRules.set(rule.verdict, rule)
  return rule
}

/** The user's rules that look at any frame (`looksPastRuleCaller`), by the verdict each gives: see `allowingFrame`. */
const anyFrameRules = new WeakMap<Allowed, CompiledRule>()

/** The verdict a rule (or no rule) gives. */
export function verdictOf(rule: CompiledRule | undefined): Verdict {
  return rule === undefined ? VIOLATION : rule.verdict
}

const globCache = new Map<string, RegExp>()

/**
 * Turns a glob into an anchored RegExp: `**` crosses `/`, `*` and `?` do not, and `{a,b}` is
 * either alternative (`'fs.{read,write}FileSync'`, `'**\/*.{json,yml}'`; nested braces too). For a
 * command (`anyChar`), `*` and `?` match any character, `/` included: `'git *'` is meant to match
 * `git -C ../other status`, as a command is not a path.
 */
export function globToRegExp(glob: string, anyChar = false): RegExp {
  const key = `${anyChar ? 'c' : 'p'}${glob}`
  let re = globCache.get(key)
  if (re !== undefined) return re
  re = new RegExp(`^${globSource(glob, anyChar)}$`)
  globCache.set(key, re)
  return re
}

/**
 * What a glob's plain character must be escaped from in a RegExp. Looked up, not replaced with a
 * RegExp a character: the ~40 built-in rules are compiled in every fresh test-file process, where
 * a `replace` per character was 1.6 ms of loading the core (bench/README.md, "Nineteenth pass").
 */
const REGEXP_SPECIAL = '.+^${}()|[]'

/** The RegExp source of a glob (or of one alternative of a brace). */
function globSource(glob: string, anyChar: boolean): string {
  const star = anyChar ? '.*' : '[^/]*'
  const one = anyChar ? '.' : '[^/]'
  let out = ''
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string
    if (c === '*') {
      if (glob[i + 1] === '*') {
        i++
        if (glob[i + 1] === '/' && !anyChar) {
          i++
          out += '(?:.*/)?'
        } else out += '.*'
      } else out += star
    } else if (c === '?') out += one
    else if (c === '{') {
      const alternatives = braceAlternatives(glob, i)
      if (alternatives === undefined) out += '\\{'
      else {
        out += `(?:${alternatives.parts.map((a) => globSource(a, anyChar)).join('|')})`
        i = alternatives.end
      }
    } else if (c === '\\') out += anyChar ? '\\\\' : '/'
    else out += REGEXP_SPECIAL.includes(c) ? `\\${c}` : c
  }
  return out
}

/**
 * The comma-separated alternatives of the brace opening at `open`, and the index of its closing
 * brace; `undefined` when it has no closing brace or no comma (then `{` is a plain character).
 */
function braceAlternatives(glob: string, open: number): { parts: string[]; end: number } | undefined {
  const parts: string[] = []
  let depth = 0
  let from = open + 1
  for (let i = open + 1; i < glob.length; i++) {
    const c = glob[i]
    if (c === '{') depth++
    else if (c === '}' && depth > 0) depth--
    else if (c === ',' && depth === 0) {
      parts.push(glob.slice(from, i))
      from = i + 1
    } else if (c === '}') {
      if (parts.length === 0) return undefined
      parts.push(glob.slice(from, i))
      return { parts, end: i }
    }
  }
  return undefined
}

function toSlashes(p: string): string {
  return sep === '/' ? p : p.split(sep).join('/')
}

// A memo of a pure function ((glob, cwd, file) → matched), bounded: a rule meets the same few files
// in every kept call's frames, and resolving and relativizing a path costs a few µs each. By
// working directory, then file: no string made per lookup.
const pathMatches = new WeakMap<RegExp, Map<string, Map<string, boolean>>>()

/** Matches a path glob against a file given as absolute or relative, in both forms (relative to `cwd`, with `..` outside it). Memoized. */
export function matchPath(re: RegExp, file: string, cwd = projectCwd()): boolean {
  let byCwd = pathMatches.get(re)
  if (byCwd === undefined) pathMatches.set(re, (byCwd = new Map<string, Map<string, boolean>>()))
  let known = byCwd.get(cwd)
  if (known === undefined) {
    if (byCwd.size >= 16) byCwd.clear()
    byCwd.set(cwd, (known = new Map<string, boolean>()))
  }
  let matched = known.get(file)
  if (matched === undefined) {
    if (known.size >= 2_000) known.clear()
    known.set(file, (matched = matchPathNow(re, file, cwd)))
  }
  return matched
}

// Outside the working directory the relative form climbs out with `..` (a monorepo's sibling
// package, `../engine.io/build/contrib/base64id.js`), as the baseline writes such a file.
function matchPathNow(re: RegExp, file: string, cwd: string): boolean {
  const abs = isAbsolute(file) ? file : resolve(cwd, file)
  if (re.test(toSlashes(abs))) return true
  const rel = relative(cwd, abs)
  return !isAbsolute(rel) && re.test(toSlashes(rel))
}

/**
 * Whether a function glob names a frame's function: the name as V8 prints it (`Server.handle`),
 * its own name without the receiver (`handle`), or without V8's `[as alias]`.
 */
function matchFn(re: RegExp, frameFn: string | undefined): boolean {
  if (frameFn === undefined) return false
  let fn = frameFn.startsWith('new ') ? frameFn.slice(4) : frameFn
  const alias = fn.indexOf(' [as ')
  if (alias >= 0) fn = fn.slice(0, alias)
  if (re.test(fn)) return true
  const dot = fn.lastIndexOf('.')
  return dot >= 0 && re.test(fn.slice(dot + 1))
}

/** Compiles a user rule (already validated by `configure()`); a built-in one under its own label. */
export function compileRule(rule: AllowRule, builtin?: { readonly label: string; readonly withoutCaller?: boolean }): CompiledRule {
  const r: AllowRuleObject = typeof rule === 'string' ? { operation: rule } : rule
  const caller = r.caller === undefined ? undefined : globToRegExp(r.caller)
  return compiled(
    builtin?.label ?? (typeof rule === 'string' ? rule : JSON.stringify(rule)),
    {
      ...(r.operation !== undefined && { operation: globToRegExp(r.operation) }),
      ...(r.path !== undefined && { path: globToRegExp(r.path) }),
      ...(r.command !== undefined && { command: globToRegExp(r.command, true) }),
      ...(caller !== undefined && { caller: (file: string) => matchPath(caller, file) }),
      ...(r.within !== undefined && { within: globToRegExp(r.within) }),
      ...(r.function !== undefined && { fn: globToRegExp(r.function) }),
      ...(r.package !== undefined && { pkg: globToRegExp(r.package) }),
    },
    builtin !== undefined,
    builtin?.withoutCaller === true,
  )
}

/** The rule's any-frame fields on one frame: `within`, `package`, and `function` unless the caller frame took it. */
function frameMatches(rule: CompiledRule, frame: Frame): boolean {
  if (rule.within !== undefined && !matchPath(rule.within, frame.file)) return false
  if (rule.fn !== undefined && rule.caller === undefined && !matchFn(rule.fn, frame.fn)) return false
  if (rule.pkg !== undefined) {
    const pkg = packageOf(frame.file)
    if (pkg === undefined || !rule.pkg.test(pkg)) return false
  }
  return true
}

/**
 * The frame a user's rule allowed a call (or a stall) by, when the rule looks at any frame
 * (`within`, `package`, `function` without `caller`): the nearest one it matches. A finding shows
 * it beside its first `traceDepth` frames and the caller frame (`reportedFrames`): a `package` rule
 * often matches deeper down (`{ package: 'webpack' }` allowing a read graceful-fs makes for it), and
 * an allowed finding whose frames do not show why would leave its reader guessing. `undefined` for
 * any other verdict or rule, and where `frames` do not hold the frame (a call counted without its stack).
 */
export function allowingFrame(verdict: Verdict, frames: readonly Frame[]): Frame | undefined {
  // One lookup for every other allowance. Scanning the scope's rule list for the verdict's rule
  // instead cost ~22 K instructions a finding where the "test code" rule allows a test file's every
  // call (bench/README.md, "Forty-eighth pass").
  const rule = verdict.kind === 'allowed' ? anyFrameRules.get(verdict) : undefined
  if (rule === undefined) return undefined
  for (let i = 0; i < frames.length; i++) if (frameMatches(rule, frames[i] as Frame)) return frames[i]
  return undefined
}

/**
 * The stack fields of a rule. `caller` (with `function`) looks at the caller frame only; `within`,
 * `package` (and `function` without `caller`) at any one frame of `frames`. The frames are asked for
 * only when a field needs them: reading all of a call's frames source-maps each (under Vitest and
 * Jest, the runner's formatter: ~0.25 ms a new position), while the caller frame alone is mapped
 * without the rest (`Stacks.caller`). The "test code" rule and `caller` rules never read them.
 */
function stackMatches(rule: CompiledRule, stack: StackView): boolean {
  // A built-in rule looks only at the frames above the caller frame (see `CompiledRule.builtin`).
  if (rule.builtin) return !(rule.withoutCaller && stack.hasCaller()) && anyFrameMatches(rule, stack.above())
  if (rule.caller !== undefined) {
    const own = stack.caller()
    if (own === undefined || own.unparsed === true || !rule.caller(own.file)) return false
    if (rule.fn !== undefined && !matchFn(rule.fn, own.fn)) return false
    if (rule.within === undefined && rule.pkg === undefined) return true
  }
  return anyFrameMatches(rule, stack.frames())
}

/** Whether the rule's any-frame fields match one of `frames`. */
function anyFrameMatches(rule: CompiledRule, frames: readonly Frame[]): boolean {
  for (let i = 0; i < frames.length; i++) if (frameMatches(rule, frames[i] as Frame)) return true
  return false
}

/**
 * The runners' module loading that calls a function of the project's own as part of it: Jest's
 * `ScriptTransformer` a transformer (`transform: { '\\.js$': '<rootDir>/my-transformer.js' }`), pirates a
 * require hook. What that code does is module loading, as the runner's own transformer's is.
 */
const TRANSFORMER_HOSTS = new Set(['@jest/transform', 'pirates'])

/**
 * Where the user's own frames begin (`at`, an index into `frames`; `frames.length` for none), once
 * past the project's own transformers: when the first dependency frame below the user's frames at
 * `at` is one of `TRANSFORMER_HOSTS`, those frames are a transformer the runner's module loading
 * called, and the user's frame is the next one below (the test that required the module). Before,
 * a transformer of the project's own that read a file was the caller, and the call failed the test
 * that required a module — only when Jest's transform cache was cold (ts-jest's own suite, which
 * transforms with its `dist/`). Only the captured frames are looked at: a transformer whose own
 * frames fill the capture stays the caller.
 */
function belowTransformers(frames: readonly Frame[], at: number): number {
  for (let hops = 0; hops < 4 && at < frames.length; hops++) {
    let i = at + 1
    while (i < frames.length && ((frames[i] as Frame).unparsed === true || !isDependency((frames[i] as Frame).file))) i++
    if (i >= frames.length) return at
    const pkg = packageOf((frames[i] as Frame).file)
    if (pkg === undefined || !TRANSFORMER_HOSTS.has(pkg)) return at
    const rest = frames.slice(i)
    const next = firstPartyFrame(rest)
    if (next === undefined) return frames.length
    at = i + rest.indexOf(next)
  }
  return at
}

/**
 * The frames of a call as rules see them, each worked out once for all rules. One object a judged
 * call, its parts worked out when a rule first asks (a kept call runs mostly cold, where a closure
 * per part and per rule was a good share of what a verdict allocated).
 */
class StackView {
  readonly #call: CallView
  #all: readonly Frame[] | undefined
  #ownKnown = false
  #own: Frame | undefined
  #above: readonly Frame[] | undefined
  #hasCaller = false

  constructor(call: CallView) {
    this.#call = call
  }

  /** Every captured frame. */
  frames(): readonly Frame[] {
    return (this.#all ??= this.#call.frames())
  }

  /** The user's own frame nearest to the call (`caller` rules, the "test code" rule). */
  caller(): Frame | undefined {
    if (!this.#ownKnown) {
      const call = this.#call
      this.#own = call.caller !== undefined ? call.caller() : firstPartyFrame(this.frames())
      this.#ownKnown = true
    }
    return this.#own
  }

  /** The frames above the caller frame, spies left out: what built-in rules look at. */
  above(): readonly Frame[] {
    if (this.#above !== undefined) return this.#above
    // Whose code each frame is does not need source maps: the generated positions tell it, and
    // calls the runners' machinery makes are allowed without mapping a frame.
    const call = this.#call
    const f = call.rawFrames !== undefined ? call.rawFrames() : this.frames()
    const caller = firstPartyFrame(f)
    const end = belowTransformers(f, caller === undefined ? f.length : f.indexOf(caller))
    this.#hasCaller = end < f.length
    // A spy that passes the call through (`vi.spyOn(fs, …)`, `vi.fn(fs.readFileSync)`, jest.spyOn,
    // sinon) is the test's own call: its frames never make a call the runner's.
    const above: Frame[] = []
    for (let i = 0; i < end; i++) {
      const frame = f[i] as Frame
      if (!isSpyFrame(frame)) above.push(frame)
    }
    return (this.#above = above)
  }

  /** Whether the captured frames hold a frame of the user's own (told at generated positions, as `above`). */
  hasCaller(): boolean {
    this.above()
    return this.#hasCaller
  }
}

/** Whether the rule matches the call. */
function matches(rule: CompiledRule, call: CallView, stack: StackView | undefined): boolean {
  if (rule.operation !== undefined && !rule.operation.test(call.operation.id)) return false
  if (rule.path !== undefined && (call.operation.arg !== 'path' || call.arg === undefined || !matchPath(rule.path, isAbsolute(call.arg) ? call.arg : resolve(liveCwd(), call.arg)))) return false
  if (rule.command !== undefined && (call.operation.arg !== 'command' || call.arg === undefined || !rule.command.test(call.arg))) return false
  if (!rule.needsStack) return true
  if (stack === undefined) return false
  return stackMatches(rule, stack)
}

/**
 * A rule list sorted for matching: each call tries only the rules that can apply to it. The
 * built-in rules come first, whatever the list's order: a call the runners' machinery makes (a
 * module loaded inside a test) is theirs and never reported, even where a rule of the user's would
 * allow it too (`{ package: 'webpack' }` matches every module webpack loads lazily under Jest's
 * registry, `'fs.readFileSync'` every file Jest's registry reads).
 */
interface RulePlan {
  /** The built-in rules (they need the stack: the frames above the caller frame). */
  readonly builtin: readonly CompiledRule[]
  /** For each built-in rule, whether `package` is its only field: such a rule is looked up by a frame's package (see `firstBuiltin`). */
  readonly packageOnly: readonly boolean[]
  /** The indices, in list order, of the `packageOnly` rules a package name matches, by name (filled as names are met). */
  readonly byPackage: Map<string, readonly number[]>
  /** The other rules that need no stack, in list order: tried next. */
  readonly cheap: readonly CompiledRule[]
  /** The other rules that need the stack (the user's, and "test code"), in list order: tried last. */
  readonly ownCall: readonly CompiledRule[]
  /** No rule looks at a frame below the caller frame (see `looksPastCaller`). */
  readonly callerBounded: boolean
  /** Some rule looks at the call's argument: a `path` or `command` field (see `looksAtArgument`). */
  readonly readsArgument: boolean
}

// Plans by rule list: lists are made once per configuration and test file (see `TestFiles.rulesFor`).
const plans = new WeakMap<readonly CompiledRule[], RulePlan>()

function planOf(rules: readonly CompiledRule[]): RulePlan {
  let plan = plans.get(rules)
  if (plan === undefined) {
    const stack = rules.filter((r) => r.needsStack)
    const builtin = stack.filter((r) => r.builtin)
    plan = {
      builtin,
      packageOnly: builtin.map(isPackageOnly),
      byPackage: new Map(),
      cheap: rules.filter((r) => !r.needsStack),
      ownCall: stack.filter((r) => !r.builtin),
      callerBounded: !stack.some(looksPastRuleCaller),
      readsArgument: rules.some((r) => r.path !== undefined || r.command !== undefined),
    }
    plans.set(rules, plan)
  }
  return plan
}

/** Whether a rule's only field is `package` (no operation, path, command, caller, `within` or `function`). */
function isPackageOnly(rule: CompiledRule): boolean {
  return rule.pkg !== undefined && rule.operation === undefined && rule.path === undefined && rule.command === undefined && rule.caller === undefined && rule.within === undefined && rule.fn === undefined
}

/** How many package names a plan remembers the matching rules of before it starts over. */
const MAX_PACKAGES = 1_000

/** The indices, in list order, of the plan's built-in `package`-only rules that match package `pkg`. */
function packageRules(plan: RulePlan, pkg: string): readonly number[] {
  let found = plan.byPackage.get(pkg)
  if (found === undefined) {
    const indices: number[] = []
    for (let i = 0; i < plan.builtin.length; i++) if (plan.packageOnly[i] === true && (plan.builtin[i] as CompiledRule).pkg?.test(pkg) === true) indices.push(i)
    if (plan.byPackage.size >= MAX_PACKAGES) plan.byPackage.clear()
    plan.byPackage.set(pkg, (found = indices))
  }
  return found
}

/**
 * The first built-in rule, in list order, that allows a call with frames above its caller frame
 * (`above`), as trying each rule on each frame would find it. Most built-in rules are a `package`
 * alone: those are looked up by each frame's package, once a frame, instead of tried on every frame
 * (a call deep inside a dependency has ~20 frames above its caller, or no caller at all, and there
 * are ~35 such rules); the few others are tried as every rule is.
 */
function firstBuiltin(plan: RulePlan, call: CallView, stack: StackView, above: readonly Frame[]): CompiledRule | undefined {
  const builtin = plan.builtin
  // A rule for a library the user's code may call itself applies only when no frame is the user's.
  const hasCaller = stack.hasCaller()
  // Whether a package none of the machinery's made the call (`madeByOtherPackage`), asked once when needed.
  let other: boolean | undefined
  let first = builtin.length
  for (let f = 0; f < above.length; f++) {
    const pkg = packageOf((above[f] as Frame).file)
    if (pkg === undefined) continue
    const indices = packageRules(plan, pkg)
    for (let k = 0; k < indices.length; k++) {
      const i = indices[k] as number
      if (i >= first) break
      const rule = builtin[i] as CompiledRule
      if (hasCaller && rule.withoutCaller) continue
      // Machinery a test's code called (`expect`) that called a package of another's (a custom
      // matcher: jest-image-snapshot's `toMatchImageSnapshot`, pdfkit's visual tests): that package's
      // calls are the test's, as they would be called from the test itself. Before, its `spawnSync`
      // was the machinery's, dropped without a word.
      if (hasCaller && calledByTestsVerdicts.has(rule.verdict) && (other ??= madeByOtherPackage(plan, above))) continue
      first = i
      break
    }
  }
  for (let i = 0; i < first; i++) {
    const rule = builtin[i] as CompiledRule
    if (plan.packageOnly[i] !== true && matches(rule, call, stack)) return rule
  }
  const chosen = builtin[first]
  // No caller frame captured, and another package made the call: a deeper stack showing the test's
  // frame would make the call the test's (above), so the allowance is not settled on these frames.
  if (chosen !== undefined && !hasCaller && calledByTestsVerdicts.has(chosen.verdict) && (other ??= madeByOtherPackage(plan, above))) return unsettledTwin(chosen)
  return chosen
}

/**
 * Whether the package that made the call (`offenderFrame` of the frames above the caller frame) is
 * none that a built-in rule names: a package of the user's choosing, not the runners' machinery.
 */
function madeByOtherPackage(plan: RulePlan, above: readonly Frame[]): boolean {
  const offender = offenderFrame(above)
  const pkg = offender === undefined ? undefined : packageOf(offender.file)
  return pkg !== undefined && packageRules(plan, pkg).length === 0
}

/**
 * Whether one rule may look at a frame below the caller frame: `within`, `package`, or `function`
 * without `caller` match any frame. A built-in rule looks only above the caller frame, a `caller`
 * rule (with or without `function`) only at it, and the rest at no frame.
 */
export function looksPastRuleCaller(rule: CompiledRule): boolean {
  if (!rule.needsStack || rule.builtin) return false
  return rule.within !== undefined || rule.pkg !== undefined || rule.caller === undefined
}

/**
 * Whether a rule list's verdict on a call may depend on frames below the caller frame (the user's
 * own frame nearest to the call). When it may not, every call whose stack is the same up to and
 * including its caller frame gets the same verdict, whatever called that frame: a helper called
 * from a thousand tests is judged once, not once a test (see `Judge`).
 */
export function looksPastCaller(rules: readonly CompiledRule[]): boolean {
  return !planOf(rules).callerBounded
}

/**
 * Whether a built-in rule that allows a call from some of its frames allows it whatever frames lie
 * below them: true when the list has built-in rules, which are tried before every other rule (see
 * `RulePlan`). (A built-in rule looks at the frames above the caller frame; a stack captured
 * deeper, with its caller frame further down, still holds the frame it matched.)
 */
export function builtinsDecideFirst(rules: readonly CompiledRule[]): boolean {
  return planOf(rules).builtin.length > 0
}

/**
 * Whether a rule list's verdict on a call may depend on the call's argument (the path or command it
 * was given): only a rule with a `path` or `command` field reads it. When none does, calls that
 * differ only in their argument get the same verdict: a helper that writes a new temporary file in
 * every test is judged once, not once a file name (see `Judge`).
 */
export function looksAtArgument(rules: readonly CompiledRule[]): boolean {
  return planOf(rules).readsArgument
}

/**
 * The first rule that allows the call, or `undefined`: the built-in rules first (see `RulePlan`),
 * then the rules that need no stack, then those that do. The frames (the caller frame, and the
 * frames above it that built-in rules look at) are worked out once for all rules. A built-in rule
 * looks only at the frames above the caller frame: when the user's own code made the call there
 * are none, and none of the ~40 built-in rules is tried.
 */
export function findAllowingRule(rules: readonly CompiledRule[], call: CallView): CompiledRule | undefined {
  const plan = planOf(rules)
  let stack: StackView | undefined
  // Indexed loops: a kept call runs mostly cold (interpreted), where `for…of` makes an iterator result per rule.
  const builtin = plan.builtin
  if (builtin.length > 0) {
    stack = new StackView(call)
    const above = stack.above()
    if (above.length > 0) {
      const rule = firstBuiltin(plan, call, stack, above)
      if (rule !== undefined) return rule
    }
  }
  const cheap = plan.cheap
  for (let i = 0; i < cheap.length; i++) {
    const rule = cheap[i] as CompiledRule
    if (matches(rule, call, undefined)) return rule
  }
  const own = plan.ownCall
  if (own.length === 0) return undefined
  stack ??= new StackView(call)
  for (let i = 0; i < own.length; i++) {
    const rule = own[i] as CompiledRule
    if (matches(rule, call, stack)) return rule
  }
  return undefined
}

/** One built-in rule: the runners' own machinery, allowed when it is what makes the call. */
export interface BuiltinRule {
  /** What the rule covers, as shown in reports. */
  readonly name: string
  readonly rule: Readonly<{ within?: string; package?: string; operation?: string; function?: string }>
  /** A module-loading rule: dropped when `moduleLoading` is on. */
  readonly moduleLoading: boolean
  /**
   * The rule applies only to a call with no frame of the user's own among its captured frames: a
   * library the machinery runs that the user's code may also call itself (esbuild's and Babel's
   * `transformSync`, write-file-atomic's `sync`, Vite's `loadEnv`). Inside the machinery the
   * machinery's own frames are there too, and its own rule allows the call; this one covers a stack
   * too deep to show them. A call the user's own code makes into the library is the user's, as any
   * other.
   */
  readonly withoutCaller: boolean
  /**
   * Machinery a test's own code calls (assertions, snapshots, the runner's API): a stall inside it
   * with a frame of the user's own below is the test's work, judged as any other stall of the test
   * (mobx: a 0.4–2.7 s test, dropped unsaid whenever the one stack read fell in `expect`'s
   * `toEqual`, reported when it fell in mobx's code). Its blocking calls stay the machinery's.
   */
  readonly calledByTests?: true
}

const pkgs = (name: string, moduleLoading: boolean, names: readonly string[], withoutCaller: readonly string[] = [], calledByTests = false): BuiltinRule[] =>
  names.map((p) => Object.freeze({ name, rule: Object.freeze({ package: p }), moduleLoading, withoutCaller: withoutCaller.includes(p), ...(calledByTests && { calledByTests: true as const }) }))

/** The built-in rules, always on (listed by `loopcop.defaults`). */
export const builtinRuleList: readonly BuiltinRule[] = Object.freeze([
  { name: "Node's module loader", rule: { within: 'node:internal/modules/**' }, moduleLoading: true, withoutCaller: false },
  // Vite's own module runner is the part of Vite that runs in a Vitest 4+ worker; the rest of Vite is
  // a library a test may call itself (`createServer`, `loadEnv`), allowed only with no caller frame.
  { name: 'vitest/vite module runner', rule: { within: '**/node_modules/vite/dist/node/module-runner.js' }, moduleLoading: true, withoutCaller: false },
  ...pkgs('vitest/vite module runner', true, ['vite', 'vite-node'], ['vite']),
  // Vitest finding where an inline snapshot is written (`toMatchInlineSnapshot`): it parses a stack
  // through the test file's source map the first time (magicast: 123 ms, in `parseErrorStacktrace`).
  // The runner's bookkeeping, as its stack formatter's is: no stall of the test's, though the test's
  // own line called it (before the rule below, which makes such machinery's stalls the test's).
  { name: "vitest's inline snapshot location", rule: { within: '**/node_modules/@vitest/snapshot/**', function: '_resolveInlineStack' }, moduleLoading: false, withoutCaller: false },
  ...pkgs('vitest/vite module runner', true, ['vitest', '@vitest/*'], [], true),
  ...pkgs('jest module registry', true, ['jest-runtime', 'jest-resolve', '@jest/transform', 'babel-jest', 'ts-jest']),
  ...pkgs('TypeScript/Babel register hook', true, ['tsx', 'ts-node', '@babel/register', '@babel/core', 'pirates', '@swc/register', '@swc-node/register', 'esbuild-register', 'esbuild'], ['@babel/core', 'esbuild']),
  // A `require` of its own (config loaders: unconfig, c12, ESLint's and Tailwind's TypeScript configs):
  // what it reads and resolves to load a module is module loading, as Node's loader's is.
  ...pkgs('jiti module loader', true, ['jiti']),
  ...pkgs('jest machinery', false, ['jest-snapshot', 'write-file-atomic', 'jest-circus', 'jest-message-util', '@jest/*', 'expect'], ['write-file-atomic'], true),
  ...pkgs('mocha', false, ['mocha'], [], true),
  { name: 'source maps', rule: { within: 'node:internal/source_map/**' }, moduleLoading: false, withoutCaller: false },
  // Node 20's fetch makes a multipart body's boundary with `crypto.randomInt` (no callback) inside
  // `new Request`/`fetch` (h3): Node's own code, which the user cannot change. Only frames between
  // the call and the user's are looked at, so a callback of the user's that fetch runs is the user's;
  // and only `crypto` calls, the kind it was seen to make.
  { name: "Node's fetch (its bundled undici)", rule: { operation: 'crypto.*', within: 'node:internal/deps/undici/**' }, moduleLoading: false, withoutCaller: false },
  // `process.stdout`/`process.stderr` on a file is Node's `SyncWriteStream`, which takes `fs.writeSync`
  // when the stream is first made: made inside a test, after loopcop wrapped `fs`, each write was a
  // finding (tinypool, Node 20: a worker thread's output relayed by Node), made before, none was.
  // The process's output, as a runner's own output is: not the code under test's I/O.
  { name: "Node's output to a file (process.stdout, process.stderr)", rule: { operation: 'fs.*', within: 'node:internal/fs/sync_write_stream' }, moduleLoading: false, withoutCaller: false },
  ...pkgs('source maps', false, ['source-map-support', '@cspotcode/source-map-support', 'source-map', 'source-map-js', '@jridgewell/*']),
  ...pkgs('coverage', false, ['v8-to-istanbul', 'istanbul-lib-*', 'nyc', 'c8', 'test-exclude']),
])

const compiledBuiltins = builtinRuleList.map((b) => ({
  moduleLoading: b.moduleLoading,
  rule: compileRule(b.rule, { label: `built-in: ${b.name}`, withoutCaller: b.withoutCaller }),
}))
/** The verdicts of the built-in rules for machinery the tests' own code calls (`BuiltinRule.calledByTests`). */
const calledByTestsVerdicts = new WeakSet<Verdict>(compiledBuiltins.filter((_, i) => builtinRuleList[i]?.calledByTests === true).map((b) => b.rule.verdict))

/**
 * Whether a stall a built-in rule allowed is the test's own work all the same: the rule covers
 * machinery the tests' own code calls (`BuiltinRule.calledByTests`), and `hasCaller` — a frame of the
 * user's own is below it. Then the stall is judged without the built-in rules (`userRules`).
 */
export function isTestsStallInMachinery(verdict: Verdict, hasCaller: boolean): boolean {
  return hasCaller && calledByTestsVerdicts.has(verdict)
}

const userRuleLists = new WeakMap<readonly CompiledRule[], readonly CompiledRule[]>()

/** A rule list without its built-in rules: the user's rules, and "test code" where the list has it (memoized a list). */
export function userRules(rules: readonly CompiledRule[]): readonly CompiledRule[] {
  let own = userRuleLists.get(rules)
  if (own === undefined) userRuleLists.set(rules, (own = Object.freeze(rules.filter((r) => !r.builtin))))
  return own
}

/** The verdicts of the built-in rules that need no caller frame (`withoutCaller`): a deeper stack may show one. */
const callerlessVerdicts = new WeakSet<Verdict>(compiledBuiltins.filter((b) => b.rule.withoutCaller).map((b) => b.rule.verdict))

/**
 * Each built-in rule for machinery the tests' code calls (`BuiltinRule.calledByTests`) as a twin of
 * the same label whose verdict is not settled (`isSettledBuiltinAllowance`): what `firstBuiltin`
 * gives for a call another package made inside that machinery (a snapshot serializer, jest-serializer-path
 * under `toMatchInlineSnapshot`) on frames that show no caller. At the default `traceDepth` such a
 * call was allowed as the machinery's on its first ten frames, and at a larger one, whose frames
 * showed the test's, it was the test's (dom-testing-library): judged deeper, it is the test's at every depth.
 */
const unsettledTwins = new Map<CompiledRule, CompiledRule>(
  compiledBuiltins.flatMap((b, i) => {
    if (builtinRuleList[i]?.calledByTests !== true) return []
    const twin = compiled(b.rule.label, b.rule, true, b.rule.withoutCaller)
    callerlessVerdicts.add(twin.verdict)
    calledByTestsVerdicts.add(twin.verdict)
    return [[b.rule, twin]]
  }),
)

function unsettledTwin(rule: CompiledRule): CompiledRule {
  return unsettledTwins.get(rule) ?? rule
}

/**
 * Whether a verdict is a built-in rule's allowance that no frame below the ones judged could undo
 * (see `builtinsDecideFirst`): any built-in rule's but those that apply only without a caller frame
 * (`BuiltinRule.withoutCaller`), which a deeper capture showing the user's frame would turn down.
 */
export function isSettledBuiltinAllowance(verdict: Verdict): boolean {
  return isBuiltinAllowance(verdict) && !callerlessVerdicts.has(verdict)
}

const withLoader = compiledBuiltins.map((b) => b.rule)
const withoutLoader = compiledBuiltins.filter((b) => !b.moduleLoading).map((b) => b.rule)

/** The built-in rules in force for a given `moduleLoading` setting. */
export function builtinRules(moduleLoading: boolean): readonly CompiledRule[] {
  return moduleLoading ? withoutLoader : withLoader
}

/**
 * The built-in "test code" rule (`testCode: 'allow'`): a call whose caller frame is in a test file
 * is the test's own (fixture set-up, clean-up), allowed and reported with this rule.
 */
export function testCodeRule(isTestFile: (file: string) => boolean): CompiledRule {
  return compiled(TEST_CODE_RULE, { caller: isTestFile }, false)
}
