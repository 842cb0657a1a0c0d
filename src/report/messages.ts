// The words of loopcop's messages (docs/architecture.md, "report"): a failure names the operation,
// the time it blocked, the line, and the async alternative.
import { isAbsolute, relative, sep } from 'node:path'
import { PROBE_FRAMES, STACKS_PER_OPERATION, type Finding, type Frame, type StallFinding, isUnjudged, quotedName } from '../model/finding.js'
import { belowPassThroughMocks, displayPath, formatFrame, isDependency, isGenerated, isInternal, isPassThroughFrame } from '../stack/frames.js'
import { projectCwd } from '../runtime/cwd.js'
import { packageOf } from '../runtime/packages.js'
import { DEEPEST_SEARCH } from '../model/options.js'

/** Milliseconds as people read them: `0.04 ms`, `3.1 ms`, `182 ms`. */
export function formatMs(ms: number): string {
  // Under what two decimals show, three (jiti: "blocked 0.00 ms" for a 4 µs call); each form up to
  // what it rounds to, so that 0.0996 ms reads as 0.1 ms, as 0.1 does, not as "0.10 ms".
  // Nothing at all (calls `throw` mode refused before they ran: express's summary said "0.000 ms").
  if (ms === 0) return '0 ms'
  if (ms < 0.0095) return `${ms.toFixed(3)} ms`
  if (ms < 0.095) return `${ms.toFixed(2)} ms`
  if (ms < 9.95) return `${ms.toFixed(1)} ms`
  return `${Math.round(ms)} ms`
}

/**
 * A stall's length beside its threshold: to a tenth of a millisecond where whole ones would read as
 * not over it (`100.2 ms`, not `100 ms (threshold 100 ms)`).
 */
function overThreshold(ms: number, thresholdMs: number): string {
  const shown = formatMs(ms)
  return ms >= 10 && ms > thresholdMs && Math.round(ms) <= thresholdMs ? `${ms.toFixed(ms - thresholdMs < 0.05 ? 2 : 1)} ms` : shown
}

/**
 * A count with thousands separators (`20,440`), as `toLocaleString('en-US')` writes it but without
 * it: its first call sets up ICU's number formats, ~10–20 ms of CPU at a run's end.
 */
export function count(n: number): string {
  if (!Number.isSafeInteger(n)) return n.toLocaleString('en-US')
  const digits = String(Math.abs(n)).replace(/\B(?=(\d{3})+$)/g, ',')
  return n < 0 ? `-${digits}` : digits
}

/** A count with its noun: `1 blocking call`, `2 call sites`. */
export const plural = (n: number, one: string, many = `${one}s`): string => `${count(n)} ${n === 1 ? one : many}`

/**
 * For each call site, by whether a finding there failed its test: `warned: failed no test` on a
 * site that failed none where others failed theirs (stalls under `stallMode: 'warn'`, leaks), else
 * `undefined`. A run of one kind marks none. The console and Markdown summaries both mark so, in
 * parentheses (the console's with a site's other notes: `(leaked past its test; warned: …)`).
 */
export function warnedOnlyMarks(failed: readonly boolean[]): (string | undefined)[] {
  const failing = failed.filter(Boolean).length
  const mixed = failing > 0 && failing < failed.length
  return failed.map((f) => (mixed && !f ? 'warned: failed no test' : undefined))
}

/** What to do about a stall, as the run summary advises it where it advises an async alternative for a blocking call. */
export const STALL_HINT = 'break the work into chunks that yield to the event loop (await new Promise(setImmediate) between them; an await alone does not yield) or move it to a worker thread'

/**
 * The detail line of a site of stalls in the run summary: the threshold, the longest where there
 * were several (the line above gives their total), and what to do.
 */
export function stallDetail(longest: StallFinding, stalls: number): string {
  const length = `${overThreshold(longest.maxMs, longest.thresholdMs)}${wallTime(longest)}`
  const most = stalls > 1 ? `longest ${length}, ` : longest.wallMs !== undefined ? `${length}, ` : ''
  return `${most}threshold ${formatMs(longest.thresholdMs)} — ${STALL_HINT}`
}

/**
 * What follows a stall's length when its wall time was markedly longer (`StallFinding.wallMs`):
 * ` of CPU time (309 ms of wall time)`, so that the length is not read as the time the test waited.
 */
function wallTime(f: StallFinding): string {
  return f.wallMs === undefined ? '' : ` of CPU time (${formatMs(f.wallMs)} of wall time)`
}

/** `NO_STACK` where a message or a run said it already (jscodeshift: one test's six operations said it six times over). */
const NO_STACK_AGAIN = 'no stack of their own, for the reason given with the first such calls'

/** Why some calls have no stack of their own (see `STACKS_PER_OPERATION`). */
export const NO_STACK = `no stack of their own: past the first ${STACKS_PER_OPERATION} calls of an operation in a test, once one of them is not allowed by a rule (calls a baseline knows are not), later calls are counted and timed only`

/**
 * A call's argument summary as its message shows it: quoted, as a path or command is, except a file
 * descriptor's (`fd 24`, args.ts), which read as a file named "fd 24" when quoted (pino-pretty).
 */
function shownArgs(args: string): string {
  return /^fd \d+$/.test(args) ? args : JSON.stringify(args)
}

/** The headline of one finding: what blocked, how long, and the alternative. */
export function describeFinding(f: Finding): string {
  const leak = f.leak ? 'after its test ended: ' : ''
  if (f.kind === 'stall') {
    const times = f.calls > 1 ? ` ×${count(f.calls)} (${formatMs(f.durationMs)} in total)` : ''
    return `${leak}event loop stalled ${overThreshold(f.maxMs, f.thresholdMs)}${wallTime(f)}${times} (threshold ${formatMs(f.thresholdMs)})`
  }
  const others = f.otherArgs === undefined ? '' : ` and ${plural(f.otherArgs, 'other')}`
  const call = f.args !== undefined ? `${f.operation}(${shownArgs(f.args)}${others})` : f.operation
  // A call refused in `throw` mode never ran: it blocked nothing, so no time is shown for it.
  if (f.raised) return `${leak}${call}${f.calls > 1 ? ` ×${count(f.calls)}` : ''} — refused before it ran (mode: throw) — ${f.hint}`
  if (isUnjudged(f)) return `${leak}${f.operation} ×${count(f.calls)} more call${f.calls === 1 ? '' : 's'}, not judged, blocked ${formatMs(f.durationMs)} in total — ${f.hint}`
  const times = f.calls > 1 ? ` ×${count(f.calls)} blocked ${formatMs(f.durationMs)} in total` : ` blocked ${formatMs(f.durationMs)}`
  return `${leak}${call}${times} — ${f.hint}`
}

/** In `shownFrames`' list: frames left out between the two around it. */
export const LEFT_OUT = '…'

/**
 * Up to `max` frames worth showing: Node's internals are skipped, and so are dependencies below
 * the user's first frame (the test runner calling the test), while a dependency above it (the
 * package that made the call) is shown — not a spy that passed the call through (`vi.spyOn(fs, …)`:
 * it made no call). The user's own frame is always shown: when dependency frames above it fill
 * `max`, the last of them gives way to it, and `LEFT_OUT` stands for the frames between (multer:
 * form-data's `getBoundary` read as called from the test's line, where `append` and two more were).
 */
export function shownFrames(frames: readonly Frame[], max = 3): (Frame | typeof LEFT_OUT)[] {
  const shown: Frame[] = []
  let own: Frame | undefined
  for (const f of frames) {
    // A line that could not be read is shown as it was: it may be the user's.
    if (f.unparsed !== true && (isInternal(f.file) || isPassThroughFrame(f))) continue
    const foreign = f.unparsed !== true && (isDependency(f.file) || isGenerated(f))
    if (foreign && own !== undefined) continue
    if (!foreign) own ??= f
    if (shown.length < max) shown.push(f)
    else if (own !== undefined) break
  }
  if (own !== undefined && !shown.includes(own)) return [...shown.slice(0, max - 1), LEFT_OUT, own]
  return shown
}

/** The lines under a finding's headline: its frames, or why it has none. */
export function findingDetail(f: Finding, indent: string, noStackSaid = false): string[] {
  if (f.kind === 'sync-io' && f.unstacked) {
    if (f.allowed) return [`${indent}(allowed by ${f.allowedBy})`]
    return [`${indent}(${noStackSaid ? NO_STACK_AGAIN : NO_STACK}; rules that need a stack could not judge them)`]
  }
  const lines = shownFrames(belowPassThroughMocks(f.frames)).map((fr) => (fr === LEFT_OUT ? `${indent}${LEFT_OUT}` : `${indent}at ${formatFrame(fr)}`))
  if (f.kind === 'stall' && f.unjudged !== undefined) lines.unshift(`${indent}(not judged: ${f.unjudged})`)
  if (f.offender !== undefined) {
    const at = f.location
    // A stall not judged for want of the user's frame says why once, in its "(not judged: …)" line (unstorage).
    const from = at !== undefined && at.file !== f.offender.file ? ` from ${displayPath(at.file)}:${at.line}` : f.kind === 'stall' && f.unjudged !== undefined ? '' : ` (${noOwnFrame(f)})`
    // A stall is not a call: its stack shows the package's code running, reached from the user's line.
    lines.unshift(`${indent}${f.kind === 'stall' ? 'in' : 'called by'} the package ${f.offender.package}${from}`)
  }
  if (f.testCode === true) lines.push(`${indent}(in test code)`)
  return lines
}

/**
 * Why a dependency's call has no frame of the user's code to show: a stall's sampled stack shows
 * the package's own code running; a runner called the package's function itself (pino's
 * `t.after(transport.end.bind(transport))`: below its frame is the runner, never the user); the
 * package made the call on its own, the whole stack captured (its last frame is where Node's event
 * loop enters JavaScript: `processTicksAndRejections`, a timer's, an immediate's — a larger
 * traceDepth would show nothing more; unimport: pkg-types after an `await`); or the user's frame may
 * lie past the frames searched (`cut`: the stack goes on below them).
 */
type NoOwnFrame = { readonly kind: 'stall' } | { readonly kind: 'deep' } | { readonly kind: 'runner'; readonly runner: string } | { readonly kind: 'whole' } | { readonly kind: 'cut' }

function whyNoOwnFrame(f: Finding): NoOwnFrame {
  const { frames, kind } = f
  // A stall's frames are a sample of the code that was running: no call was made, and traceDepth does not bound them.
  if (kind === 'stall') return f.stackCut === true ? { kind: 'deep' } : { kind: 'stall' }
  const runner = frames.map((frame) => runnerOf(frame.file)).find((name) => name !== undefined)
  if (runner !== undefined) return { kind: 'runner', runner }
  const last = frames[frames.length - 1]
  // By the method's own name: a native callback's entry is `TCP.callbackTrampoline` (smtp-server's
  // connection handler, nodemailer), `FSReqCallback.oncomplete`.
  const entry = (last?.fn ?? '').split('.').pop() ?? ''
  const whole = f.stackCut !== true || (last !== undefined && last.file.startsWith('node:') && (LOOP_ENTRIES.has(entry) || entry === 'oncomplete'))
  return whole ? { kind: 'whole' } : { kind: 'cut' }
}

/** Why a dependency's call (or stall) has no frame of the user's code, as a failure message says it under the call. */
function noOwnFrame(f: Finding): string {
  const captured = plural(f.frames.length, 'frame')
  const why = whyNoOwnFrame(f)
  switch (why.kind) {
    case 'stall':
      return `no frame of your own code among the ${captured} sampled: the package's own code was running (in a callback, or after an await)`
    case 'deep':
      return `no frame of your own code among the ${captured} shown, nor in the first ${PROBE_FRAMES} of its stack, which went on below them: the package recursed deeper than that (your frame lies below), or its own code was running (in a callback, or after an await)`
    case 'runner':
      return `no frame of your own code among the ${captured} captured: ${why.runner} called the package's function itself (a test or hook that is the package's function, as \`t.after(stream.end.bind(stream))\` is)`
    case 'whole':
      return `no frame of your own code among the ${captured} captured: the package made the call on its own (in a callback, or after an await)`
    case 'cut':
      // The frames shown are the first `traceDepth`; the user's frame was looked for further down
      // (accounting/calls.ts, `#deepest`): a larger traceDepth would find no more.
      return `no frame of your own code among the ${captured} captured, nor in the first ${DEEPEST_SEARCH} of its stack: the package made the call on its own (in a callback, or after an await), or your frame lies deeper still`
  }
}

/**
 * The same in the few words of a one-line mention (a `warn` line, a run summary's site) of calls at
 * a dependency's own frame: whether the stack of any of them went on below the frames searched.
 */
export function noOwnFrameNote(findings: readonly Finding[]): string {
  const whys = findings.map((f) => whyNoOwnFrame(f))
  if (whys.some((why) => why.kind === 'cut')) return `no frame of your own code in the first ${DEEPEST_SEARCH} frames of its stack`
  if (whys.some((why) => why.kind === 'deep')) return `no frame of your own code in the first ${PROBE_FRAMES} frames of its stack`
  for (const why of whys) if (why.kind === 'runner') return `no frame of your own code: ${why.runner} called the package's function itself`
  return 'no frame of your own code found'
}

/** The packages whose code calls a test's and a hook's functions, and the runner each is. */
const RUNNER_PACKAGES: ReadonlyMap<string, string> = new Map([
  ['mocha', 'Mocha'],
  ['jest-circus', 'Jest'],
  ['@vitest/runner', 'Vitest'],
])

/** The test runner whose code `file` is, if it is one's: node:test's own modules, or a package of `RUNNER_PACKAGES`. */
function runnerOf(file: string): string | undefined {
  if (file.startsWith('node:internal/test_runner/')) return 'node:test'
  const pkg = packageOf(file)
  return pkg === undefined ? undefined : RUNNER_PACKAGES.get(pkg)
}

/**
 * The functions through which Node's event loop runs JavaScript (and an I/O request's `oncomplete`):
 * a stack that ends at one is whole. Node 20's `AsyncLocalStorage` puts `callbackTrampoline` under them.
 */
const LOOP_ENTRIES: ReadonlySet<string> = new Set(['processTicksAndRejections', 'listOnTimeout', 'processTimers', 'processImmediate', 'callbackTrampoline'])

/** Whether a dependency's call was reported at the dependency's own frame: no frame of the user's code was found. */
export function atOffender(f: Finding): boolean {
  return f.offender !== undefined && (f.location === undefined || f.location.file === f.offender.file)
}

/** Blocking calls counted in these findings (a finding stands for `calls` calls). */
export function totalCalls(findings: readonly Finding[]): number {
  let n = 0
  for (const f of findings) n += f.calls
  return n
}

/** Where a finding goes in a message: the code under test first, then the tests' own code, then calls not judged. */
function rank(f: Finding): number {
  return isUnjudged(f) ? 2 : f.testCode === true ? 1 : 0
}

/** The findings in message order (stable within each rank). */
export function messageOrder(findings: readonly Finding[]): Finding[] {
  return [...findings].sort((a, b) => rank(a) - rank(b))
}

/**
 * `12 blocking calls`, `10 blocking calls and 2 stalls` when stalls are among them (a stall is no
 * call), or `2 stalls` when there is nothing else: `calls` counted over `counted` (findings or call
 * sites), of which the stalls are told apart, named `stall`.
 */
export function callsAndStalls(counted: readonly { readonly kind: Finding['kind']; readonly calls: number }[], calls: number, stall = 'stall'): string {
  const stalls = counted.reduce((n, c) => n + (c.kind === 'stall' ? c.calls : 0), 0)
  if (stalls === 0) return plural(calls, 'blocking call')
  return stalls === calls ? plural(stalls, stall) : `${plural(calls - stalls, 'blocking call')} and ${plural(stalls, stall)}`
}

/**
 * How to allow what a message lists, or accept it with a baseline; naming the rule for a package
 * when a judged finding's call is a dependency's: its hint is about the package's code, which the
 * user cannot change (jsdom: undici's `crypto.randomBytes` inside `new WebSocket()`), and
 * `{ package }` is the rule that fits.
 */
function allowIt(judged: readonly Finding[]): string {
  // Every package the judged calls came from: a rule for the first alone still failed the test of
  // interceptors' trial (base64id's randomBytes, then ws's randomFillSync). Not a stall's: its
  // package is where the probe happened to land (ajv's own compiling, sampled once in fast-uri),
  // and a rule for it would not cover the next run's sample.
  const pkgs = [...new Set(judged.flatMap((f) => (f.kind === 'stall' || f.offender === undefined ? [] : [f.offender.package])))]
  // Four are listed whole; past that, three and the count of the others ("and the like for the 1
  // other package above" read as garbled: unplugin-auto-import).
  const shown = pkgs.length > 4 ? 3 : pkgs.length
  const rules = pkgs.slice(0, shown).map((p) => `\`{ package: '${p}' }\``)
  const listed = pkgs.length > shown ? `${rules.join(', ')} and one such rule for each of the ${pkgs.length - shown} other packages above` : `${rules.slice(0, -1).join(', ')} and ${rules.at(-1)}`
  const forPackages = pkgs.length === 0 ? '' : pkgs.length === 1 ? `${rules[0]} allows what ${pkgs[0]} calls` : `${listed} allow what each package calls`
  const helpers = testHelpers(judged)
  const forHelpers = helpers.length === 0 ? '' : `${helpers.map((h) => `\`{ caller: '${h}' }\``).join(' and ')} allow${helpers.length === 1 ? 's' : ''} what ${helpers.length === 1 ? 'that test helper calls' : 'those test helpers call'}`
  const rule = forPackages === '' && forHelpers === '' ? '' : ` (${[forPackages, forHelpers].filter((r) => r !== '').join('; ')})`
  const baseline = 'accept what the code blocks on today with a baseline (LOOPCOP_UPDATE_BASELINE=1).'
  // A leak came after its test ended, where no allowBlocking() of the test reaches (its allowance
  // ends with the test): the advice to call it in the test did nothing for rxjs's leaked interval.
  if (judged.every((f) => f.leak)) return `Stop that work before its test ends (clear its timer, close what it opened), or allow it with an \`allow\` rule in loopcop's options${rule} (an allowBlocking() ends with its test); ${baseline}`
  return `Allow it with allowBlocking() in the test or an \`allow\` rule in loopcop's options${rule}; ${baseline}`
}

/**
 * A folder of a suite's own code beside its tests (`test/utils.ts`, `__tests__/helpers/db.ts`), or
 * of a monorepo's package of test helpers (simple-git's `packages/test-utils/src/…`).
 */
const TEST_FOLDER = /(?:^|[/\\])(?:tests?|__tests__|specs?|__mocks__|__fixtures__|fixtures|test[-_]?(?:utils|helpers|support|kit)|testing)[/\\]/

/** A file named as a test file (`users.test.ts`, `users.spec.js`, `users_test.mjs`). */
const TEST_FILE_NAME = /[._-](?:test|spec)\.[cm]?[jt]sx?$/

/**
 * The user's files, in a test folder, that blocking calls came from without being test files (the
 * "test code" rule allowed none of them): a suite's helper (tsup's `test/utils.ts`, whose getter
 * reads a built file), which a `caller` rule allows. At most two, shown as paths.
 */
function testHelpers(judged: readonly Finding[]): string[] {
  const files = new Set<string>()
  for (const f of judged) {
    const file = f.kind === 'sync-io' && f.testCode !== true ? f.location?.file : undefined
    if (file === undefined || isDependency(file) || isInternal(file)) continue
    // As a `caller` glob matches it: relative to the project, with `..` out of it (a monorepo's sibling package).
    const shown = isAbsolute(file) ? relative(projectCwd(), file).split(sep).join('/') : file
    // A file named as a test is one, where the run did not say (a `detect()` scope, `throw` mode outside a runner's test).
    if (TEST_FOLDER.test(shown) && !TEST_FILE_NAME.test(shown) && !isAbsolute(shown)) files.add(shown)
  }
  return [...files].slice(0, 2)
}

/** The failure message (README, "Use it"): headline, numbered findings with frames, how to allow. */
export function failureMessage(findings: readonly Finding[], title?: string): string {
  const ordered = messageOrder(findings)
  const judged = ordered.filter((f) => !isUnjudged(f))
  const n = totalCalls(judged)
  // Work a test left running blocked after it ended: "during" it read as the test's own (tsconfck).
  const leaks = ordered.filter((f) => f.leak).length
  const during = title === undefined ? '' : leaks === 0 ? ` during ${quotedName(title)}` : leaks === ordered.length ? ` after ${quotedName(title)} ended` : ` during and after ${quotedName(title)}`
  // What is listed but not judged is counted apart in the headline, not left to the numbered list.
  const unjudged = judged.length === ordered.length ? [] : ordered.filter(isUnjudged)
  const besides = judged.length > 0 && unjudged.length > 0 ? ` (and ${callsAndStalls(unjudged, totalCalls(unjudged), 'event loop stall')} not judged)` : ''
  // Stalls alone are stalls: "1 blocking operation" read as a call to look for (svgo). A message
  // with both counts them together, as DESIGN.md's example does ("2 blocking operations").
  const headline =
    judged.length === 0 && ordered.length > 0
      ? `${callsAndStalls(ordered, totalCalls(ordered), 'event loop stall')}, not judged${during === '' ? '' : `,${during}`}`
      : judged.length > 0 && judged.every((f) => f.kind === 'stall')
        ? `${plural(n, 'event loop stall')}${during}${besides}`
        : `${count(n)} blocking operation${n === 1 ? '' : 's'} on the event loop${during}${besides}`
  const lines = [headline]
  let noStackSaid = false
  ordered.forEach((f, i) => {
    const label = `  ${i + 1}) `
    lines.push(label + listedFinding(f))
    lines.push(...findingDetail(f, ' '.repeat(label.length + 2), noStackSaid))
    if (isUnjudged(f) && f.kind === 'sync-io') noStackSaid = true
  })
  // Nothing here was judged, so nothing fails for it: there is nothing to allow.
  if (judged.length > 0) lines.push(allowIt(judged))
  return lines.join('\n')
}

/** The findings of a failed assertion, numbered, each with its frames. */
export function listBlocking(blocking: readonly Finding[]): string {
  return messageOrder(blocking).map((f, i) => [`  ${i + 1}) ${listedFinding(f)}`, ...findingDetail(f, '       ')].join('\n')).join('\n')
}

/**
 * A finding as a message's numbered list says it: `describeFinding`, and for a stall what to do, as
 * a call's line says its alternative (terser, json-schema-ref-parser: a failed stall's message had
 * no advice; only the run summary gave it).
 */
function listedFinding(f: Finding): string {
  return f.kind === 'stall' ? `${describeFinding(f)} — ${STALL_HINT}` : describeFinding(f)
}

/** Where a finding is, as `warn` mode names its call site: the operation and the user's line. */
export function warnSiteKey(f: Finding): string {
  // By line, not column: V8 places an async function's frame at its `await`, so the calls a package
  // makes for `await build()` before its first `await` and after it have one line, two columns.
  const where = f.location === undefined ? '(no stack)' : `${f.location.file}:${f.location.line}`
  return `${f.kind === 'sync-io' ? f.operation : 'stall'}\u0000${where}`
}

/**
 * What the line of stalls not judged adds when a baseline knows some (`known`) of them (`total`),
 * as the JSON report marks them `baselined`: else, in a green baselined run, they read as new (unstorage).
 */
export function knownStallsNote(total: number, known: number): string {
  if (known === 0) return ''
  return known === total ? `; the baseline knows ${total === 1 ? 'it' : 'them'}` : `; the baseline knows ${known} of them`
}

/**
 * Where a leak's calls are counted, as its message says: `reported`, in the run report (the run has
 * loopcop's reporter); `unreported`, nowhere; `next-file`, in the run report if the worker goes on
 * to another test file (a Vitest file whose report has gone, under `isolate: false`).
 */
export type LeakCounted = 'reported' | 'unreported' | 'next-file'

/**
 * What is printed of work a test left running that blocked after the test ended, once a test's call
 * site (Jest, Mocha, node:test, Vitest after a file's end), or once for the call sites of one test
 * known together (a Vitest file's end: tsconfck printed a heading a site, nine for one test): the
 * test, that it came too late to fail it, where the calls are counted, and each call with its
 * frames. `fileEnded`: the test's file had ended too (Vitest). `explain`: say where the calls are
 * counted and how to allow them — the first time the run says a leak so (see `leakExplainedKey`);
 * later leaks say only that they came too late (pino: every leak of a run repeated both, between the
 * runner's lines).
 */
export function leakMessage(leaked: Finding | readonly Finding[], counted: LeakCounted, fileEnded = false, explain = true, failedFile = false): string {
  const findings: readonly Finding[] = Array.isArray(leaked) ? leaked : [leaked as Finding]
  const finding = findings[0] as Finding
  const test = finding.test?.name
  const who = test === undefined ? 'work a test left running' : `work that ${quotedName(test)} left running`
  const when = fileEnded ? "after its file's last test had ended" : 'after the test had ended'
  // Under Vitest, this call site's calls before its file ended failed the file (`failedFile`): this
  // one came too late to add to that failure (json-schema-ref-parser: "too late to fail it" said
  // beside the file's own failure for the same interval read as a contradiction).
  // Several call sites of one test are said together: "they", "from these lines".
  const here = findings.length === 1 ? 'here' : 'these lines'
  const itIs = findings.length === 1 ? 'it is' : 'they are'
  const tooLate = failedFile ? `its calls from ${here} before then failed its file; this one came too late to fail it` : 'too late to fail it'
  // Only the first of a call site's later calls is printed (a leaked interval makes one a tick).
  const where = !explain
    ? tooLate
    : counted === 'reported'
      ? fileEnded
        ? // A Vitest worker goes on after its file's end until it is stopped, which may be after the run was reported.
          `${tooLate}; ${itIs} in the run report, and later calls from ${here} are counted there until the run is reported, not printed`
        : `${tooLate}; ${itIs} in the run report, and later calls from ${here} are counted there, not printed`
      : counted === 'next-file'
        ? `${tooLate}, and to reach the run report unless this worker runs another test file; later calls from ${here} are not printed`
        : `${tooLate}; later calls from ${here} are not printed`
  // The call and its frames under the line that says what happened (no headline counting it again).
  const judged = findings.filter((f) => !isUnjudged(f))
  return `loopcop (leak): ${who} blocked the event loop ${when} (${where}):\n${listBlocking(findings)}${!explain || judged.length === 0 ? '' : `\n${allowIt(judged)}`}`
}

/**
 * The `firstWarning` key under which a run explains its leaks in full (`leakMessage`'s `explain`):
 * one for each way of saying where the calls are counted.
 */
export function leakExplainedKey(counted: LeakCounted, fileEnded = false): string {
  return `\u0000leak explained ${counted}${fileEnded ? ' file ended' : ''}`
}

/** What `warn` mode's line says of the calls it does not print, without loopcop's reporter (no run summary). */
export const UNSUMMARIZED = "later calls from here are not printed: loopcop's reporter counts every call in a run summary"

/**
 * The one line `warn` mode prints for a call site the first time it blocks in this process:
 * `src/users.ts:14:18 fs.readFileSync("users.json") blocked 3.1 ms — use fs.promises.readFile (in "GET /users"; …)`.
 * `summarized`: the run has a run summary and JSON report to point to (loopcop's reporter is there).
 * `explain`: say where later calls from the site go — on the run's first such line only, since it
 * is the same for every site (c12: 23 lines of 300–400 characters, each ending with it); of calls
 * with no stack of their own, why they have none (`NO_STACK_SAID`: once a run, as well).
 */
export function newSiteWarning(f: Finding, title?: string, summarized = true, explain = true): string {
  const during = title === undefined ? [] : [`in ${quotedName(title)}`]
  // Calls that kept no stack have no call site: say what they are, once per operation.
  if (isUnjudged(f) && f.kind === 'sync-io') return `${describeFinding(f)} (${[...during, explain ? NO_STACK : NO_STACK_AGAIN, ...(summarized ? ['the run summary and JSON report count them'] : [])].join('; ')})`
  const where = f.location === undefined ? '(no stack)' : `${displayPath(f.location.file)}:${f.location.line}:${f.location.column}`
  // The line is the user's; the call may be a dependency's, made for it (`vite`'s inside `build()`).
  const by = f.offender === undefined ? [] : [atOffender(f) ? `in the package ${f.offender.package}, ${noOwnFrameNote([f])}` : `called by the package ${f.offender.package}`]
  const later = explain ? [summarized ? 'later calls from here are counted in the run summary and JSON report' : UNSUMMARIZED] : []
  const notes = [...during, ...by, ...later]
  return `new call site ${where} ${describeFinding(f)}${notes.length === 0 ? '' : ` (${notes.join('; ')})`}`
}

/**
 * `warn` mode's line for a stall at a place a stall was printed at before in the run (its
 * `warnSiteKey`): one line, not the stall's message with its frames again. ts-jest's suite printed
 * 89 stalls of TypeScript's language service at one line in full, ~1,000 lines of its log.
 */
export function repeatedStallWarning(f: Finding, title?: string): string {
  const where = f.location === undefined ? '' : ` at ${displayPath(f.location.file)}:${f.location.line}:${f.location.column}`
  const during = title === undefined ? '' : ` ${f.leak ? 'after' : 'during'} ${quotedName(title)}${f.leak ? ' ended' : ''}`
  return `${describeFinding(f).replace(/^after its test ended: /, '')}${during}${where}, where a stall was printed before in this run (the run summary and JSON report count each)`
}

/** The `firstWarning` key of `newSiteWarning`'s `explain`: one a run, apart from every call site's. */
export const LATER_CALLS_SAID = '\u0000later calls'

/** The same for calls with no stack of their own, whose line explains `NO_STACK` instead. */
export const NO_STACK_SAID = '\u0000no stack'
