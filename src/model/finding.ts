// What loopcop reports (docs/architecture.md, "findings"): a discriminated union of the two kinds
// of blocking, with where it happened and the test it is charged to.
import { type Mode, failsTests } from './mode.js'
import type { Category } from './operation.js'

/** The test a finding is charged to. */
export interface TestRef {
  readonly name: string
  readonly file?: string
  /**
   * The second and later tests of one file that share a full name (two `test('works')` in one
   * `describe`): 2, 3, … in the order they first ran, so that they count as tests of their own.
   * Absent for the first (and for every test of a name of its own).
   */
  readonly repeat?: number
  /**
   * The runner's project the test ran in, where the run names its projects (a Vitest project's
   * `test.name`, a Jest project's `displayName`): one test file that two projects run (under jsdom
   * and under node) is two tests. Absent for a run of one unnamed project, and under Mocha and
   * `node --test`.
   */
  readonly project?: string
}

/**
 * A test as one string (`file\0name`, `\0repeat` for a repeated name, `\u0001project` for a named
 * project; '' for no test): two files' `works` tests are two tests, and so are two projects' runs of one file.
 */
export function testKey(t: TestRef | undefined): string {
  if (t === undefined) return ''
  const key = `${t.file ?? ''}\u0000${t.name}${t.repeat === undefined ? '' : `\u0000${t.repeat}`}`
  return t.project === undefined ? key : `${key}\u0001${t.project}`
}

/**
 * A test's name quoted for a message: in double quotes, or in single quotes when it holds double
 * quotes and nothing else to escape, so that `worker has default name "thread-stream"` does not read
 * `"worker has default name \"thread-stream\""` (thread-stream's suite). A name with a newline,
 * a backslash or both kinds of quote keeps JSON's escapes: one line, unambiguous.
 */
export function quotedName(name: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are what JSON would escape
  return name.includes('"') && !/['\\\u0000-\u001f]/.test(name) ? `'${name}'` : JSON.stringify(name)
}

/** A test's name as a message lists it: quoted (`quotedName`), with `#2` for the second test of that name in its file. */
export function testLabel(t: TestRef): string {
  return t.repeat === undefined ? quotedName(t.name) : `${quotedName(t.name)} #${t.repeat}`
}

/**
 * Each test's `TestRef`, the same for every try of a test (pass the runner's object for the test,
 * the one its retries share or point back to), telling apart tests of one file that share a full
 * name: runners run them as two tests, and loopcop counts them so (see `TestRef.repeat`).
 */
export class TestRefs<T extends object> {
  readonly #refs = new WeakMap<T, TestRef>()
  /**
   * How many tests of each name have been seen, by file (by project and file for a named project).
   * Two maps, not one keyed by `file\0name`: a key made for every test is a new string to hash, and
   * the ref is made without spreading optional parts (bench/README.md, "Fifty-first pass": ~1.7 K
   * instructions a Mocha test).
   */
  readonly #seen = new Map<string | undefined, Map<string, number>>()

  /**
   * The ref of `test`, named `name` in `file`, run by the runner's named `project` (see
   * `TestRef.project`): made the first time it is asked for.
   */
  of(test: T, name: string, file: string | undefined, project?: string): TestRef {
    let ref = this.#refs.get(test)
    if (ref !== undefined) return ref
    // A worker that keeps its modules between files (Vitest's `isolate: false`) may run one file for two projects.
    const where = project === undefined ? file : `${project}\u0001${file ?? ''}`
    let names = this.#seen.get(where)
    if (names === undefined) this.#seen.set(where, (names = new Map<string, number>()))
    const n = (names.get(name) ?? 0) + 1
    names.set(name, n)
    if (project !== undefined) ref = { name, ...(file !== undefined && { file }), ...(n > 1 && { repeat: n }), project }
    else if (file === undefined) ref = n > 1 ? { name, repeat: n } : { name }
    else ref = n > 1 ? { name, file, repeat: n } : { name, file }
    this.#refs.set(test, ref)
    return ref
  }
}

/** One parsed stack frame. */
export interface Frame {
  /** Function as V8 prints it (`loadUsers`, `Server.handle`, `new Pool`), or `undefined` for top-level code. */
  readonly fn: string | undefined
  /** Absolute path (file URLs converted), `node:…` for Node internals, or `<anonymous>`. */
  readonly file: string
  readonly line: number
  readonly column: number
  /**
   * A stack line loopcop could not read (`file` then holds its text, `line` and `column` are 0).
   * It counts as the user's own frame: what called from there is unknown, so no built-in runner
   * rule may take the call for the runner's machinery.
   */
  readonly unparsed?: true
}

/** A source position. */
export interface Location {
  readonly file: string
  readonly line: number
  readonly column: number
  /** The function at that position as V8 names it, when it has a name (a baseline entry's key uses it). */
  readonly function?: string
}

/** The dependency frame that made a call, with its package. */
export type Offender = Location & { readonly package: string }

interface FindingBase {
  /** Unique across processes and workers (`pid-thread-n`), so merged reports never count one twice. */
  readonly id: string
  /** Total time these calls blocked the event loop, in ms. */
  readonly durationMs: number
  /** The longest single block, in ms. */
  readonly maxMs: number
  /** How many calls this finding stands for (findings aggregate by call site). */
  readonly calls: number
  /** Allowed by a user allow rule: reported, never failing. */
  readonly allowed: boolean
  /** The rule that allowed it. */
  readonly allowedBy?: string
  /** Recorded in the baseline file: reported as known, never failing its test. */
  readonly baselined?: true
  /**
   * Found by an assertion (`toBlockEventLoop`, `assertNoBlocking`, Chai's `blockEventLoop`,
   * node:test's `t.assert.doesNotBlock`): in the run report for the record, judged by the assertion.
   */
  readonly scope?: 'assertion'
  /** Happened after its scope (the test) had ended: work the test left running. */
  readonly leak: boolean
  readonly test?: TestRef
  /** The user's own frame nearest to the call (source-mapped where the runner maps stacks). */
  readonly location?: Location
  /** The dependency frame that made the call, when it came from `node_modules`. */
  readonly offender?: Offender
  /**
   * The call was made by the tests' own code: its caller frame (`location`) is in a test file.
   * Allowed by the built-in rule "test code" unless `testCode: 'check'`; listed after the findings
   * in the code under test.
   */
  readonly testCode?: true
  /**
   * Captured frames, nearest first; loopcop's own frames never appear. The first `traceDepth`, and
   * the user's own frame (`location`) when it lies deeper.
   */
  readonly frames: readonly Frame[]
  /**
   * The mode in force where it was found (its scope's `mode`, or `stallMode` for a stall): `fail`
   * and `throw` fail the test, `warn` only prints. Reports and annotations follow it.
   */
  readonly mode?: Mode
}

/** A call to a blocking API (sync I/O, child process, zlib, crypto, `Atomics.wait`, or a user-marked one). */
export interface SyncIoFinding extends FindingBase {
  readonly kind: 'sync-io'
  readonly operation: string
  readonly category: Category
  /** The async alternative. */
  readonly hint: string
  /** Path, command or size the first call was given. */
  readonly args?: string
  /**
   * Its stack had no frame of the user's code and went on past the frames shown (`traceDepth`; the
   * user's frame was looked for deeper, as deep as the largest `traceDepth` searches): it may lie
   * deeper still. Absent when the frames shown are the whole stack (mlly's pkg-types, resumed after
   * an `await`: 2 frames).
   */
  readonly stackCut?: true
  /**
   * How many other arguments (paths, commands, sizes) than `args` these calls were given, told
   * apart among the calls that kept a stack: cosmiconfig's nine `readFileSync` calls of one line read
   * nine files, not `package.json` nine times. Absent when every call had the first one's.
   */
  readonly otherArgs?: number
  /**
   * These calls kept no stack of their own: only the first calls of an operation in a scope keep
   * one (docs/architecture.md, "performance budget"); every call is still counted and timed.
   */
  readonly unstacked: boolean
  /** The call was refused by `mode: 'throw'` and never ran. */
  readonly raised: boolean
}

/** A synchronous stretch of the event loop longer than `stallMs`. */
export interface StallFinding extends FindingBase {
  readonly kind: 'stall'
  readonly thresholdMs: number
  /**
   * Why this stall was not judged, when it was not: no stack of the stalled code could be read, it
   * holds no frame of the user's code, or several tests were running and any of them could own
   * it. Such a stall is reported and counted, never a violation: only a stack showing the user's
   * code can make a stall fail a test.
   */
  readonly unjudged?: string
  /** The tests that were running when a stall no single test can be charged with happened. */
  readonly candidates?: readonly TestRef[]
  /**
   * The stall's wall time, when it was markedly longer than its length (`maxMs`): a stall's length
   * is at most the CPU time its thread used, so a thread short of CPU (a busy machine) does not
   * lengthen or invent stalls, and then the two differ. Absent when they agree.
   */
  readonly wallMs?: number
  /**
   * The stack the probe read had no frame of the user's code and went on below the frames a probe
   * reads (a deep recursion in a dependency): the user's frame may lie deeper.
   */
  readonly stackCut?: true
}

/**
 * How many frames of the stalled code a stall's probe reads: a stack that fills them may go on below
 * (a deep recursion). As deep as a kept call's stack is searched for the user's frame
 * (`DEEPEST_SEARCH` in options.ts), so that a stall and a call from the same recursion say the same
 * number of frames (dependency-cruiser: "first 100 frames" beside "first 110 frames").
 */
export const PROBE_FRAMES = 110

/** Everything loopcop reports. */
export type Finding = SyncIoFinding | StallFinding

/** What judging a finding reads of it: a model finding and a JSON report's finding both have it. */
export interface Judgeable {
  readonly kind: Finding['kind']
  readonly allowed: boolean
  readonly unstacked?: boolean
  /** A stall's reason for not being judged. */
  readonly unjudged?: string
  readonly baselined?: boolean
  readonly scope?: 'assertion'
}

/**
 * Whether a finding was not judged: calls that kept no stack of their own (past the first calls
 * of an operation in a scope, once a violation was known there), so no rule that needs a stack
 * could look at them, or a stall with no stack showing the user's code (`unjudged` says why).
 * Counted and timed, never a violation and never allowed.
 */
export function isUnjudged(f: Judgeable): boolean {
  if (f.allowed) return false
  return f.kind === 'sync-io' ? f.unstacked === true : f.unjudged !== undefined
}

/**
 * Whether a finding is a new violation: not allowed, not unjudged, not known from the baseline, not
 * an assertion's (which its assertion judges). Such findings fail their test in `fail`/`throw` mode
 * and are what the run summary counts as blocking.
 */
export function isViolation(f: Judgeable): boolean {
  return !f.allowed && !isUnjudged(f) && f.baselined !== true && f.scope !== 'assertion'
}

/**
 * Whether a finding is known from the baseline and counted so: a judged one the baseline records.
 * Calls kept without a stack that the baseline knew are counted with the other unjudged ones, once.
 */
export function isKnown(f: Judgeable): boolean {
  return f.baselined === true && !isUnjudged(f)
}

/**
 * Whether a finding is one its test failed with (a violation judged in `fail` or `throw` mode): what
 * the test's `BlockingIOError` lists. A finding whose mode is not known counts as one.
 */
export function failedItsTest(f: Judgeable & { readonly mode?: Mode }): boolean {
  return isViolation(f) && failsTests(f.mode ?? 'fail')
}

/**
 * A finding its runner could fail nothing with (a leak under Jest, Mocha or node:test: the test was
 * reported before the blocking call), as recorded: judged in `warn` mode, which is what it got (the
 * run summary and annotations then say it failed nothing).
 */
export function failedNothing<F extends { readonly mode?: Mode }>(f: F): F {
  return f.mode === undefined || failsTests(f.mode) ? { ...f, mode: 'warn' } : f
}

/** How many calls of one operation in one scope keep their own stack. */
export const STACKS_PER_OPERATION = 100
