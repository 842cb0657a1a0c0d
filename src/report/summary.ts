// The end-of-run summary and GitHub annotations (docs/architecture.md, "report"): findings grouped
// by call site (operation + the user's line), most blocked first.
import { resolve } from 'node:path'
import { type Finding, type TestRef, failedItsTest, isKnown, isUnjudged, isViolation, testKey, testLabel } from '../model/finding.js'
import { TEST_CODE_RULE } from '../model/verdict.js'
import { type Mode, failsTests } from '../model/mode.js'
import { displayPath } from '../stack/frames.js'
import { summarize, testCount } from './json.js'
import { NO_STACK, atOffender, callsAndStalls, noOwnFrameNote, count, describeFinding, formatMs, knownStallsNote, plural, stallDetail, warnedOnlyMarks } from './messages.js'
import { projectCwd } from '../runtime/cwd.js'

/** One row of the run summary: a call site with everything charged to it. */
export interface SiteSummary {
  readonly kind: Finding['kind']
  readonly operation: string
  /** `file:line:col` of the user's frame (the first finding's column: a site is a line), or `(no stack)`. */
  readonly site: string
  readonly calls: number
  readonly blockedMs: number
  /** The tests, as messages list them (`testLabel`; with the file where two files have a test of that name). */
  readonly tests: readonly string[]
  readonly leak: boolean
  /** The finding the site's detail line and annotation describe: the first, or a stall site's longest stall. */
  readonly example: Finding
  /** Every finding at this site. */
  readonly findings: readonly Finding[]
}

/** Groups findings by call site (operation + the user's line): by default the violations (`isViolation`). */
export function summarizeBySite(findings: readonly Finding[], cwd?: string, which: (f: Finding) => boolean = isViolation): SiteSummary[] {
  // Tests by file and name (two files may each have a test "works"), shown by name.
  const sites = new Map<string, { kind: Finding['kind']; operation: string; site: string; calls: number; blockedMs: number; tests: Map<string, TestRef>; leak: boolean; example: Finding; findings: Finding[] }>()
  for (const f of findings) {
    if (!which(f)) continue
    const operation = f.kind === 'sync-io' ? f.operation : 'event loop stall'
    // A site is a line (see `warnSiteKey`): shown at the column of its first finding.
    const line = f.location === undefined ? '(no stack)' : `${displayPath(f.location.file, cwd)}:${f.location.line}`
    const site = f.location === undefined ? line : `${line}:${f.location.column}`
    const key = `${f.kind}|${operation}|${line}`
    let s = sites.get(key)
    if (s === undefined) {
      s = { kind: f.kind, operation, site, calls: 0, blockedMs: 0, tests: new Map(), leak: false, example: f, findings: [] }
      sites.set(key, s)
    }
    s.findings.push(f)
    s.calls += f.calls
    s.blockedMs += f.durationMs
    s.leak ||= f.leak
    // A stall site is shown by its longest stall ("2 stalls, 1958 ms", then "stalled 1765 ms", not the first's 193).
    if (f.kind === 'stall' && f.maxMs > s.example.maxMs) s.example = f
    if (f.test !== undefined) s.tests.set(testKey(f.test), f.test)
  }
  return [...sites.values()].map((s) => ({ ...s, tests: testLabels([...s.tests.values()], cwd) })).sort((a, b) => b.blockedMs - a.blockedMs)
}

/**
 * The tests' labels (`testLabel`), each followed by what tells it from the tests of the same label:
 * its file where another file has one (`"works" (test/b.test.js)`), its project where another
 * project ran one (`"works" (project jsdom)`).
 */
function testLabels(tests: readonly TestRef[], cwd: string | undefined): string[] {
  const labels = tests.map(testLabel)
  return labels.map((label, i) => {
    if (labels.indexOf(label) === labels.lastIndexOf(label)) return label
    const t = tests[i] as TestRef
    const twins = tests.filter((o, j) => j !== i && labels[j] === label)
    const apart: string[] = []
    if (t.file !== undefined && twins.some((o) => o.file !== t.file)) apart.push(displayPath(t.file, cwd))
    if (t.project !== undefined && twins.some((o) => o.project !== t.project)) apart.push(`project ${t.project}`)
    return apart.length === 0 ? label : `${label} (${apart.join(', ')})`
  })
}

/**
 * The lines of a group of call sites: where, how many calls, how long, which tests, the alternative.
 * Where some sites failed their tests and others only warned (stalls under `stallMode: 'warn'`, a
 * leak, an `afterEach` hook's calls), those are marked as failing no test.
 */
function siteLines(sites: readonly SiteSummary[]): string[] {
  const lines: string[] = []
  const warned = warnedOnlyMarks(sites.map((site) => site.findings.some(failedItsTest)))
  for (const [i, site] of sites.entries()) {
    const tests = site.tests.length === 0 ? '' : ` — ${plural(site.tests.length, 'test')}: ${site.tests.slice(0, 3).join(', ')}${site.tests.length > 3 ? ', …' : ''}`
    const by = madeBy(site.findings)
    lines.push(`  ${site.operation} at ${site.site}${byPackages(site.findings, by)}: ${plural(site.calls, site.kind === 'stall' ? 'stall' : 'call')}, ${refused(site) ?? formatMs(site.blockedMs)}${notes(leaked(site), warned[i])}${tests}`)
    const example = site.example
    lines.push(`      ${example.kind === 'stall' ? stallDetail(example, site.calls) : callAdvice(by, describeFinding(example).split(' — ').slice(-1)[0] ?? '')}`)
  }
  return lines
}

/** The packages that made a site's calls, how many of its calls they made, and whether every such call was reported at the package's own frame (`atOffender`). */
interface MadeBy {
  readonly packages: readonly string[]
  readonly calls: number
  readonly byThem: number
  readonly own: boolean
}

/** What `MadeBy` says of a site's findings. */
function madeBy(findings: readonly Finding[]): MadeBy {
  const packages = new Set<string>()
  let own = true
  let calls = 0
  let byThem = 0
  for (const f of findings) {
    calls += f.calls
    if (f.kind !== 'sync-io' || f.offender === undefined) continue
    packages.add(f.offender.package)
    byThem += f.calls
    own &&= atOffender(f)
  }
  return { packages: [...packages], calls, byThem, own }
}

/**
 * A call site's advice: the operation's alternative (`hint`), or, where packages made the calls
 * (the user's line calls into TypeScript's `createProgram`, which reads files), what the user can
 * do about them: their own code cannot take `fs.promises.readFile` in place of TypeScript's
 * `readFileSync` (mkdist's and faker's trials read the bare hint as advice they could not act on).
 * The `{ package }` rule is the one a failure message names for such calls (messages.ts, `allowIt`).
 */
function callAdvice(by: MadeBy, hint: string): string {
  if (by.packages.length === 0) return hint
  const rules = by.packages.map((p) => `\`{ package: '${p}' }\``)
  const ruleList = rules.length === 1 ? rules[0] : `${rules.slice(0, -1).join(', ')} and ${rules.at(-1)}`
  const one = by.packages.length === 1
  if (by.byThem < by.calls) return `${hint} (for the calls the package${one ? '' : 's'} made, ${ruleList} allow${one ? 's' : ''} them)`
  const code = one ? `${by.packages[0]}'s code` : `the code of ${by.packages.slice(0, -1).join(', ')} and ${by.packages.at(-1)}`
  return `${hint} — in ${code}, not yours: use an async API of ${one ? by.packages[0] : 'theirs'} where there is one, or run the work in a worker thread; ${ruleList} allow${one ? 's' : ''} ${one ? 'it' : 'them'}`
}

/**
 * `refused before it ran (mode: throw)` (`they`, of more calls) when every call of a site was refused (it blocked 0 ms; the
 * code may have caught the error and failed its test another way: socket.io's server answered 400),
 * `2 of them refused (mode: throw), 1.2 ms` when some were, else `undefined`.
 */
function refused(site: SiteSummary): string | undefined {
  let calls = 0
  for (const f of site.findings) if (f.kind === 'sync-io' && f.raised) calls += f.calls
  if (calls === 0) return undefined
  if (calls === site.calls) return `refused before ${calls === 1 ? 'it' : 'they'} ran (mode: throw)`
  return `${count(calls)} of them refused (mode: throw), ${formatMs(site.blockedMs)}`
}

/** A site's notes after its count, in one pair of parentheses: ` (leaked past its test; warned: failed no test)`. */
function notes(...given: (string | undefined)[]): string {
  const said = given.filter((n) => n !== undefined)
  return said.length === 0 ? '' : ` (${said.join('; ')})`
}

/** `leaked past its test` when a site's calls all did, `2 of them leaked past their test` when some did, else `undefined`. */
function leaked(site: SiteSummary): string | undefined {
  if (!site.leak) return undefined
  let calls = 0
  for (const f of site.findings) if (f.leak) calls += f.calls
  return calls === site.calls ? 'leaked past its test' : `${count(calls)} of them leaked past their test`
}

/**
 * ` (called by the package p)` when dependencies made a site's calls for the user's line — with how
 * many of them when the line also made some itself (`: 115 of the 189 calls`) — ` (in the package p,
 * no frame of your own code found)` when the site is the dependency's own frame (saying when a larger
 * traceDepth may find it: `noOwnFrameNote`), else nothing.
 */
function byPackages(findings: readonly Finding[], by: MadeBy): string {
  const { packages, calls, byThem, own } = by
  if (packages.length === 0) return ''
  const names = `${packages.length === 1 ? '' : 's'} ${packages.join(', ')}`
  if (own) return ` (in the package${names}, ${noOwnFrameNote(findings.filter((f) => f.kind === 'sync-io' && f.offender !== undefined))})`
  return ` (called by the package${names}${byThem < calls ? `: ${count(byThem)} of the ${count(calls)} calls` : ''})`
}

const isAssertion = (f: Finding): boolean => f.scope === 'assertion' && !f.allowed

/**
 * The console summary printed at the end of a run: the violations (blocking that fails tests) by
 * call site, then what was found but does not fail a test on loopcop's account — known from the
 * baseline, judged by an assertion, allowed — each counted apart, so no line says "no blocking"
 * about blocking that was found. `json`: where this run's JSON report goes, when it writes one
 * (the allowed findings are listed there, and the summary says so). `unchecked`: why no test file
 * of the run was checked, when the integration can tell none was; said in place of "no blocking found".
 * `grown`: how many baseline entries the run saw at more lines than they record (a new call site
 * among known ones), which "no new blocking found" would deny.
 */
export function formatSummary(findings: readonly Finding[], cwd?: string, json?: string, unchecked?: string, grown = 0): string {
  // The summary only: converting every finding to its JSON form (~10 µs a finding) is for the report file.
  const s = summarize(findings)
  const lines: string[] = []
  const known = summarizeBySite(findings, cwd, isKnown)
  const asserted = summarizeBySite(findings, cwd, isAssertion)
  if (s.findings === 0) {
    const qualifiers = [known.length > 0 && 'new', asserted.length > 0 && 'outside assertions'].filter((q) => q !== false)
    const allowed = s.allowed > 0 ? ` (${plural(s.allowed, 'allowed finding')}${testCode(findings, s.testCodeCalls, s.allowed, '; among them ')})` : ''
    // A run loopcop checked no test file of says so: "no blocking found" would read as a clean bill.
    // Stalls not judged are blocking that was found, just not charged to a line.
    const apart = s.unjudgedStalls > 0 ? `, apart from ${plural(s.unjudgedStalls, 'stall')} not judged` : ''
    const none = grown > 0 ? `no blocking of the event loop found outside the baseline's entries, but ${grown === 1 ? 'one of them was' : `${grown} of them were`} seen at more lines than it records (below)` : `no ${qualifiers.includes('new') ? 'new ' : ''}blocking of the event loop found`
    lines.push(unchecked !== undefined ? `loopcop: ${unchecked}` : `loopcop: ${none}${qualifiers.includes('outside assertions') ? ' outside assertions' : ''}${apart}${allowed}`)
  } else {
    const sites = summarizeBySite(findings, cwd)
    lines.push(`loopcop: ${callsAndStalls(sites, s.calls)} at ${plural(sites.length, 'call site')} in ${plural(s.tests, 'test')}, ${formatMs(s.blockedMs)} blocked in total${known.length > 0 ? ' (new: not in the baseline)' : ''}`)
    lines.push(...siteLines(sites))
  }
  if (known.length > 0) {
    const calls = known.reduce((n, site) => n + site.calls, 0)
    // In tests, as the line of new findings counts them (a count of findings, one a test and call site, read as the calls again).
    const tests = testCount(known.flatMap((site) => site.findings))
    lines.push(`  known from the baseline (reported, not failing): ${callsAndStalls(known, calls)} at ${plural(known.length, 'call site')} in ${plural(tests, 'test')}`)
  }
  if (asserted.length > 0) {
    const calls = asserted.reduce((n, site) => n + site.calls, 0)
    lines.push(`  found by assertions (toBlockEventLoop, assertNoBlocking, blockEventLoop, doesNotBlock), which pass or fail their tests themselves: ${callsAndStalls(asserted, calls)} at ${plural(asserted.length, 'call site')}`)
    lines.push(...siteLines(asserted).map((l) => `  ${l}`))
  }
  // Where each says why: the report this run writes, or how to ask for one (webpack-cli: pointed at a report no run wrote).
  const why = json !== undefined ? 'each says why in the JSON report' : 'a JSON report says why for each: set report.json or LOOPCOP_REPORT'
  // A baselined run's JSON marks the stalls it knows `baselined`: said here too, or they read as new (unstorage).
  const knownStalls = s.unjudgedStalls === 0 ? 0 : findings.filter((f) => f.kind === 'stall' && isUnjudged(f) && f.baselined === true).length
  const knownNote = knownStallsNote(s.unjudgedStalls, knownStalls)
  if (s.unjudgedStalls > 0) lines.push(`  ${plural(s.unjudgedStalls, 'stall')} not judged (no stack showing your code could be read, or several tests could own ${s.unjudgedStalls === 1 ? 'it' : 'them'}; ${why}${knownNote})`)
  if (s.unstackedCalls > 0) lines.push(`  ${plural(s.unstackedCalls, 'more call')} not judged, not counted above (${NO_STACK})`)
  if (s.allowed > 0 && s.findings > 0) {
    // Where to read them: the report this run writes, or how to ask for one.
    const where = json !== undefined ? `listed in the JSON report, ${displayPath(resolve(cwd ?? projectCwd(), json), cwd)}` : 'listed in a JSON report: set report.json or LOOPCOP_REPORT'
    // The tests' own calls are among the allowed findings: one line, not two groups that read as apart.
    lines.push(`  ${plural(s.allowed, 'allowed finding')} not counted above (${where})${testCode(findings, s.testCodeCalls, s.allowed, ', among them ')}`)
  }
  return lines.join('\n')
}

/**
 * The findings the "test code" rule allowed, and the `calls` they stand for (the summary's
 * `testCodeCalls`), as a clause after the count of `allowed` findings (empty when none): "among
 * them 3 findings (5 blocking calls) from the tests' own code …", or, when they are all of the
 * allowed ones, "all from the tests' own code: 5 blocking calls …" (not the count twice).
 */
function testCode(findings: readonly Finding[], calls: number, allowed: number, before: string): string {
  if (calls === 0) return ''
  const n = findings.filter((f) => f.allowedBy === TEST_CODE_RULE && !isUnjudged(f)).length
  const rule = `allowed by the rule "test code"; testCode: 'check' counts them`
  if (n === allowed) return `, ${n === 1 ? '' : 'all '}from the tests' own code: ${plural(calls, 'blocking call')}, ${rule}`
  return `${before}${plural(n, 'finding')} (${plural(calls, 'blocking call')}) from the tests' own code, ${rule}`
}

function escapeData(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A')
}
function escapeProperty(s: string): string {
  return escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C')
}

/** An annotation's level: `error` for every finding, `warning` for every one, or each by the mode that judged it. */
export type AnnotationLevel = 'error' | 'warning' | { readonly mode: Mode; readonly stallMode: Mode }

/**
 * GitHub Actions workflow commands, one per call site, placed at the user's line. File paths are
 * relative to `GITHUB_WORKSPACE` (the repository checkout) when it is set, as GitHub resolves them
 * there: a monorepo package's own root (`cwd`) would point at the wrong file.
 */
export function githubAnnotations(findings: readonly Finding[], level: AnnotationLevel, cwd?: string): string[] {
  const workspace = process.env.GITHUB_WORKSPACE
  const base = workspace !== undefined && workspace !== '' ? workspace : cwd
  // Judged by mode: each call site is an error when a finding there failed its test (judged in
  // `fail`/`throw` mode), a warning when its findings were only printed (`warn` mode). Findings
  // from before the mode was recorded follow the configuration given.
  const levelOf = (site: SiteSummary): 'error' | 'warning' => {
    if (typeof level === 'string') return level
    const fails = (f: Finding): boolean => failsTests(f.mode ?? (f.kind === 'stall' ? level.stallMode : level.mode))
    return site.findings.some(fails) ? 'error' : 'warning'
  }
  return summarizeBySite(findings, cwd).map((site) => {
    const loc = site.example.location
    const props = loc === undefined ? '' : `file=${escapeProperty(displayPath(loc.file, base))},line=${loc.line},col=${loc.column},`
    // A dependency's call, made for the line shown (node-fetch: form-data's randomBytes at `form.append`).
    const f = site.example
    const by = f.offender === undefined ? [] : [atOffender(f) ? `in the package ${f.offender.package}` : `called by the package ${f.offender.package}`]
    const notes = [...by, ...(site.calls > f.calls ? [`${site.calls} calls in ${site.tests.length} tests`] : [])]
    const msg = `${describeFinding(f)}${notes.length === 0 ? '' : ` (${notes.join('; ')})`}`
    return `::${levelOf(site)} ${props}title=${escapeProperty(`loopcop: ${site.operation}`)}::${escapeData(msg)}`
  })
}
