// The baseline's keys, file format and matching (src/report/baseline.ts, src/report/ratchet.ts).
import { mkdirSync, mkdtempSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import type { Finding, StallFinding, SyncIoFinding } from '../../src/model/finding.js'
import { envOverrides, validateOptions } from '../../src/model/options.js'
import { type BaselineEntry, BaselineError, baselineKey, formatBaseline, functionKey, markKnown, parseBaseline } from '../../src/report/baseline.js'
import { describeEntry, ratchet } from '../../src/report/ratchet.js'
import { formatSummary } from '../../src/report/summary.js'
import { jsonReport } from '../../src/report/json.js'
import { markdownSummary } from '../../src/report/markdown.js'

const cwd = mkdtempSync(join(tmpdir(), 'loopcop-baseline-core-'))
let ids = 0

function finding(fn: string, line: number, over: Partial<SyncIoFinding> = {}): SyncIoFinding {
  return {
    kind: 'sync-io',
    id: `b-${++ids}`,
    operation: 'fs.readFileSync',
    category: 'fs',
    hint: 'use fs.promises.readFile',
    durationMs: 1,
    maxMs: 1,
    calls: 1,
    allowed: false,
    leak: false,
    raised: false,
    unstacked: false,
    test: { name: 'a test', file: join(cwd, 'test/a.test.ts') },
    location: { file: join(cwd, 'src/users.ts'), line, column: 3, function: fn },
    frames: [{ fn, file: join(cwd, 'src/users.ts'), line, column: 3 }],
    ...over,
  }
}

function stall(over: Partial<StallFinding> = {}): StallFinding {
  return { kind: 'stall', id: `s-${++ids}`, thresholdMs: 50, durationMs: 80, maxMs: 80, calls: 1, allowed: false, leak: false, frames: [], ...over }
}

const entry = { file: 'src/users.ts', function: 'loadUsers', operation: 'fs.readFileSync', package: '', calls: 1, tests: 1 }
const baseline = parseBaseline(formatBaseline([entry]), join(cwd, 'loopcop-baseline.json'))

describe('keys', () => {
  test('a call site is its file, function, operation and package: moving it down the file keeps its key', () => {
    expect(baselineKey(finding('loadUsers', 14), cwd)).toEqual({ file: 'src/users.ts', function: 'loadUsers', operation: 'fs.readFileSync', package: '' })
    expect(baselineKey(finding('loadUsers', 140), cwd)).toEqual(baselineKey(finding('loadUsers', 14), cwd))
    expect(baselineKey(finding('loadUsers', 14, { offender: { file: '/x/node_modules/klaw-sync/a.js', line: 1, column: 1, package: 'klaw-sync' } }), cwd)?.package).toBe('klaw-sync')
    expect(baselineKey({ kind: 'stall', location: { file: join(cwd, 'src/csv.ts'), line: 8, column: 1, function: 'parseCsv' } }, cwd)?.operation).toBe('stall')
  })

  test('a stall in a test is keyed by its test, wherever in its code it was caught; one outside every test by where it was caught', () => {
    const test = { name: 'csv > parses a big file', file: join(cwd, 'test/csv.test.ts') }
    const caughtIn = (fn: string, line: number): Finding => stall({ test, location: { file: join(cwd, 'src/csv.ts'), line, column: 1, function: fn } })
    expect(baselineKey(caughtIn('tokenize', 8), cwd)).toEqual({ operation: 'stall', file: 'test/csv.test.ts', function: 'test: csv > parses a big file', package: '' })
    expect(baselineKey(caughtIn('parseRow', 30), cwd)).toEqual(baselineKey(caughtIn('tokenize', 8), cwd))
    const { test: _, ...outside } = caughtIn('tokenize', 8)
    expect(baselineKey(outside, cwd)).toEqual({ operation: 'stall', file: 'src/csv.ts', function: 'tokenize', package: '' })
  })

  test('the function is named the same however V8 names the call', () => {
    // jscodeshift: `exports.readSelf = () => …` called as a method of a receiver V8 names `<anonymous>`.
    expect(['loadConfig', 'Object.loadConfig', 'Module.loadConfig', 'async loadConfig', 'Store.loadConfig [as load]', '<anonymous>.exports.loadConfig'].map((fn) => functionKey(fn))).toEqual(Array(6).fill('loadConfig'))
    expect(functionKey('new Pool')).toBe('new Pool')
    // A function named by a key with a dot of its own (lint-staged's `'*.js': async () => …` task) keeps it.
    expect(['*.js', 'Object.*.js', 'async *.js'].map((fn) => functionKey(fn))).toEqual(['*.js', '*.js', '*.js'])
    expect(functionKey('Object.<anonymous>')).toBe('')
    expect(functionKey(undefined)).toBe('')
  })

  test('an entry an earlier version wrote with a receiver V8 names `<anonymous>` still matches, and an update rewrites it', () => {
    const f = finding('loadConfig', 1)
    const named = { ...f, location: { ...f.location!, function: '<anonymous>.exports.loadConfig' } } as SyncIoFinding
    const old = { ...entry, function: '<anonymous>.exports.loadConfig' }
    expect(markKnown([named], parseBaseline(formatBaseline([old]), join(cwd, 'old.json')), cwd)[0]?.baselined).toBe(true)
    expect(baselineKey(named, cwd)?.function).toBe('loadConfig')
  })

  test('an anonymous function (a callback) is keyed without a name, however deep its stack: the function it runs in may be out of the frames kept', () => {
    const src = join(cwd, 'src/users.ts')
    const at = (fn: string | undefined, file: string, line: number): Finding['frames'][number] => ({ fn, file, line, column: 3 })
    const callback = (frames: Finding['frames']): SyncIoFinding => finding('x', 1, { location: { file: src, line: 5, column: 3 }, frames })
    const shallow = callback([at(undefined, src, 5), at('Array.forEach', '<anonymous>', 0), at('saveAll', src, 5)])
    const deep = callback([at(undefined, src, 5)])
    expect(baselineKey(shallow, cwd)?.function).toBe('')
    expect(baselineKey(deep, cwd)).toEqual(baselineKey(shallow, cwd))
  })

  test("a dependency's call with no frame of yours is keyed by its package alone, not by a path into node_modules that changes with every upgrade", () => {
    const dep = join(cwd, 'node_modules/.pnpm/pkg-types@2.3.0/node_modules/pkg-types/dist/index.mjs')
    const offender = { file: dep, line: 40, column: 5, package: 'pkg-types' }
    const f = finding('x', 1, { location: { file: dep, line: 40, column: 5, function: 'test' }, frames: [{ fn: 'test', file: dep, line: 40, column: 5 }], offender })
    expect(baselineKey(f, cwd)).toEqual({ file: '', function: '', operation: 'fs.readFileSync', package: 'pkg-types' })
    const json = { kind: 'sync-io' as const, operation: 'fs.readFileSync', location: { file: 'node_modules/.pnpm/pkg-types@2.3.0/node_modules/pkg-types/dist/index.mjs', line: 40, column: 5, function: 'test' }, offender }
    expect(baselineKey(json, cwd)).toEqual(baselineKey(f, cwd))
    // An entry written with the path still matches.
    const old = { file: 'node_modules/.pnpm/pkg-types@2.3.0/node_modules/pkg-types/dist/index.mjs', function: 'test', operation: 'fs.readFileSync', package: 'pkg-types', calls: 1, tests: 1 }
    expect(markKnown([f], parseBaseline(formatBaseline([old]), join(cwd, 'dep.json')), cwd).map((m) => m.baselined)).toEqual([true])
  })

  test('without a function on its location, the frame at that location names it', () => {
    const f = finding('handle', 3)
    expect(baselineKey({ ...f, location: { file: f.location?.file ?? '', line: 3, column: 3 } }, cwd)?.function).toBe('handle')
  })
})

describe('keys outside the working directory (a monorepo package run from its own folder)', () => {
  // The same repository checked out at two places: packages/app runs its tests, packages/shared blocks.
  const at = (root: string) => ({ cwd: join(root, 'packages', 'app'), file: join(root, 'packages', 'shared', 'src', 'index.js') })
  const inShared = (file: string) => finding('readShared', 3, { location: { file, line: 3, column: 3, function: 'readShared' }, frames: [{ fn: 'readShared', file, line: 3, column: 3 }] })

  test('climb out of it with `..`, so a key is the same wherever the repository is checked out', () => {
    const here = at('/home/dev/repo')
    const ci = at('/runner/work/repo/repo')
    expect(baselineKey(inShared(here.file), here.cwd)?.file).toBe('../shared/src/index.js')
    expect(baselineKey(inShared(ci.file), ci.cwd)).toEqual(baselineKey(inShared(here.file), here.cwd))
  })

  test('an entry written with the file absolute (before keys climbed out) still matches, and an update rewrites it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'loopcop-baseline-mono-'))
    const { cwd: app, file } = at(dir)
    const old = { file, function: 'readShared', operation: 'fs.readFileSync', package: '', calls: 1, tests: 1 }
    const path = join(dir, 'old-baseline.json')
    writeFileSync(path, formatBaseline([old]))
    const marked = markKnown([inShared(file)], parseBaseline(formatBaseline([old]), path), app)
    expect(marked.map((f) => f.baselined)).toEqual([true])
    const settled = ratchet(marked, { baseline: { path, strict: true }, update: false, complete: true, cwd: app })
    expect(settled?.fixed).toEqual([])
    expect(settled?.error).toBeUndefined()
    const updated = ratchet(marked, { baseline: { path, strict: false }, update: true, complete: true, cwd: app })
    expect(updated?.written).toBe(true)
    expect((JSON.parse(readFileSync(path, 'utf8')) as { entries: { file: string }[] }).entries.map((e) => e.file)).toEqual(['../shared/src/index.js'])
  })
})

describe('matching', () => {
  test('a recorded call site is known, a new one is not', () => {
    const [known, fresh] = markKnown([finding('loadUsers', 99), finding('saveUser', 20)], baseline, cwd)
    expect(known?.baselined).toBe(true)
    expect(fresh?.baselined).toBeUndefined()
  })

  test('allowed findings and assertions’ are never baselined', () => {
    const out = markKnown([finding('loadUsers', 1, { allowed: true, allowedBy: 'x' }), finding('loadUsers', 1, { scope: 'assertion' })], baseline, cwd)
    expect(out.map((f) => f.baselined)).toEqual([undefined, undefined])
  })

  test('calls without a stack follow the stacked calls of their operation in their test: known only when none of those is new', () => {
    const unstacked = (): SyncIoFinding => finding('loadUsers', 1, { unstacked: true, frames: [], location: undefined, calls: 900 })
    expect(markKnown([finding('loadUsers', 9), unstacked()], baseline, cwd)[1]?.baselined).toBe(true)
    expect(markKnown([finding('loadUsers', 9), finding('other', 9), unstacked()], baseline, cwd)[2]?.baselined).toBeUndefined()
    expect(markKnown([unstacked()], baseline, cwd)[0]?.baselined).toBeUndefined()
  })
})

describe('the file', () => {
  test('one entry per line, sorted, and read back as written', () => {
    const entries = [{ ...entry, function: 'zeta' }, entry]
    const text = formatBaseline(entries)
    expect(text.split('\n').filter((l) => l.startsWith('    {'))).toEqual([`    ${JSON.stringify(entry)},`, `    ${JSON.stringify({ ...entry, function: 'zeta' })}`])
    expect(parseBaseline(text, 'b.json').entries).toEqual([entry, { ...entry, function: 'zeta' }])
  })

  test.each([
    ['not json', 'it is not JSON'],
    ['{"version":2,"entries":[]}', 'expected `{ "version": 1, "entries": [...] }`'],
    ['{"version":1,"entries":[{"file":1}]}', 'entries[0].operation is not a string'],
  ])('a damaged file is an error naming it: %s', (text, reason) => {
    expect(() => parseBaseline(text, '/p/b.json')).toThrow(BaselineError)
    expect(() => parseBaseline(text, '/p/b.json')).toThrow(`loopcop: could not read the baseline file /p/b.json (baseline / LOOPCOP_BASELINE): ${reason}`)
  })
})

describe('the run', () => {
  const write = (name: string, entries: readonly BaselineEntry[] = [entry]): string => {
    const path = join(cwd, name)
    writeFileSync(path, formatBaseline(entries))
    return path
  }
  const known = (f: Finding): Finding => ({ ...f, baselined: true })

  test('an entry a complete run did not see is fixed; a partial run says nothing about it', () => {
    const path = write('a.json', [entry, { ...entry, function: 'gone' }])
    const complete = ratchet([known(finding('loadUsers', 1))], { baseline: { path, strict: false }, update: false, complete: true, cwd })
    expect(complete?.fixed.map((e) => e.function)).toEqual(['gone'])
    expect(complete?.error).toBeUndefined()
    const partial = ratchet([], { baseline: { path, strict: true }, update: false, complete: false, cwd })
    expect(partial?.fixed).toEqual([])
    expect(partial?.error).toBeUndefined()
  })

  test('a partial run says why, when its integration can tell: in the strict line, the update line and the outcome', () => {
    const path = write('why.json', [entry, { ...entry, function: 'gone' }])
    const strict = ratchet([], { baseline: { path, strict: true }, update: false, complete: '--grep', cwd })
    expect(strict).toMatchObject({ complete: false, partial: '--grep', fixed: [] })
    expect(strict?.lines[0]).toMatch(/^loopcop: a partial run \(--grep\): 2 baseline entries not seen may belong to tests that did not run/)
    const updated = ratchet([], { baseline: { path, strict: false }, update: true, complete: 'a test or a hook failed, or a test file did not load', cwd })
    expect(updated?.lines[0]).toContain('(0 added, 0 removed); a partial run (a test or a hook failed, or a test file did not load) keeps the entries it did not see')
    // `false` and '' name no reason: the line lists the possible ones.
    for (const complete of [false, '']) {
      const unnamed = ratchet([], { baseline: { path, strict: true }, update: false, complete, cwd })
      expect(unnamed?.partial).toBeUndefined()
      expect(unnamed?.lines[0]).toContain('loopcop: a partial run (a test name or file filter, an option that leaves out part of the configured suite, a shard, .only, or tests that did not run through): 2 baseline entries')
    }
  })

  test("an update of a partial run keeps an entry's larger counts: it saw only some of its calls and tests (commander: 26 calls became 1)", () => {
    const counted = { ...entry, sites: 1, calls: 26, tests: 4 }
    const entriesAfter = (complete: boolean | string, found: Finding[]): unknown => {
      const path = write(`counts-${String(complete)}.json`, [counted])
      ratchet(found, { baseline: { path, strict: false }, update: true, complete, cwd })
      return (JSON.parse(readFileSync(path, 'utf8')) as { entries: unknown[] }).entries
    }
    const one = [known(finding('loadUsers', 1))]
    expect(entriesAfter('--grep', one)).toEqual([counted])
    const more = [known(finding('loadUsers', 1, { calls: 40 })), known(finding('loadUsers', 2, { test: { name: 'another', file: join(cwd, 'test/b.test.ts') } }))]
    expect(entriesAfter(false, more)).toEqual([{ ...counted, calls: 41, sites: 2 }])
    // A count within a quarter of the recorded one keeps it (nodemailer: 299 calls rewritten as 300, a diff for nothing).
    expect(entriesAfter('--grep', [known(finding('loadUsers', 1, { calls: 30 }))])).toEqual([counted])
    // A complete run saw every call: it writes its own counts.
    expect(entriesAfter(true, one)).toEqual([{ ...entry, sites: 1 }])
  })

  test("an entry seen at more lines than its `sites` has a new call site: said with the lines, and failing the run where its tests would fail (partial runs too)", () => {
    const path = write('sites.json', [{ ...entry, sites: 1 }])
    const twoLines = (mode: 'fail' | 'warn'): Finding[] => [known({ ...finding('loadUsers', 14), mode }), known({ ...finding('loadUsers', 9), mode })]
    for (const complete of [true, false]) {
      const failing = ratchet(twoLines('fail'), { baseline: { path, strict: false }, update: false, complete, cwd })
      expect(failing?.grown).toEqual([{ ...entry, sites: 1, lines: [9, 14] }])
      expect(failing?.lines).toContain('loopcop: fs.readFileSync in loadUsers (src/users.ts) blocked from 2 lines (9, 14) where the baseline sites.json records 1: a new blocking call was added among them; move it off the event loop, or accept it with LOOPCOP_UPDATE_BASELINE=1')
      expect(failing?.error?.message).toBe('loopcop: the run fails: 1 baseline entry was seen at more lines than sites.json records, so a new blocking call site is among them (see above)')
    }
    const warned = ratchet(twoLines('warn'), { baseline: { path, strict: false }, update: false, complete: true, cwd })
    expect(warned?.grown).toHaveLength(1)
    expect(warned?.error).toBeUndefined()
    // As many lines as recorded, or an entry without `sites` (written before loopcop kept it): nothing to say.
    expect(ratchet([known(finding('loadUsers', 9))], { baseline: { path, strict: false }, update: false, complete: true, cwd })?.grown).toEqual([])
    const old = write('no-sites.json', [entry])
    expect(ratchet(twoLines('fail'), { baseline: { path: old, strict: false }, update: false, complete: true, cwd })).toMatchObject({ grown: [], lines: [] })
    // An update writes the lines it saw, and says so.
    expect(ratchet(twoLines('fail'), { baseline: { path, strict: false }, update: true, complete: true, cwd })?.lines[0]).toBe('loopcop: baseline written to sites.json: 1 entry (0 added, 0 removed, 1 now at more lines)')
    expect((JSON.parse(readFileSync(path, 'utf8')) as { entries: unknown[] }).entries).toEqual([{ ...entry, sites: 2, calls: 2 }])
  })

  test('a complete run that sees an entry at fewer lines than it records says a call site of it was fixed (a strict baseline fails over it); a partial run says nothing', () => {
    const path = write('shrunk.json', [{ ...entry, sites: 2 }])
    const oneLine = [known({ ...finding('loadUsers', 9), mode: 'fail' })]
    const loose = ratchet(oneLine, { baseline: { path, strict: false }, update: false, complete: true, cwd })
    expect(loose?.shrunk).toEqual([{ ...entry, sites: 2, lines: [9] }])
    expect(loose?.lines).toContain('loopcop: fs.readFileSync in loadUsers (src/users.ts) blocked from 1 line (9) where the baseline shrunk.json records 2: a call site of it was fixed; rerun with LOOPCOP_UPDATE_BASELINE=1 so that a new one cannot take its place unnoticed')
    expect(loose?.error).toBeUndefined()
    const strict = ratchet(oneLine, { baseline: { path, strict: true }, update: false, complete: true, cwd })
    expect(strict?.error?.message).toBe('loopcop: the run fails: the baseline shrunk.json is strict and records more lines than this run saw for an entry (see above): rerun with LOOPCOP_UPDATE_BASELINE=1')
    expect(ratchet(oneLine, { baseline: { path, strict: true }, update: false, complete: '--grep', cwd })).toMatchObject({ shrunk: [], lines: [] })
    expect(ratchet(oneLine, { baseline: { path, strict: false }, update: true, complete: true, cwd })?.lines[0]).toBe('loopcop: baseline written to shrunk.json: 1 entry (0 added, 0 removed, 1 at fewer)')
  })

  test('`sites` in a baseline file must be a whole number from 1 up', () => {
    expect(() => parseBaseline(JSON.stringify({ version: 1, entries: [{ ...entry, sites: 0 }] }), 'b.json')).toThrow('could not read the baseline file b.json (baseline / LOOPCOP_BASELINE): entries[0].sites is not a whole number from 1 up')
    expect(parseBaseline(formatBaseline([{ ...entry, sites: 3 }]), 'b.json').entries).toEqual([{ ...entry, sites: 3 }])
  })

  test("whether the run was complete is asked only when it has a baseline (reading a runner's options costs ms)", () => {
    const path = write('lazy.json', [{ ...entry, function: 'gone' }])
    let asked = 0
    const complete = (): boolean => {
      asked++
      return true
    }
    expect(ratchet([], { baseline: undefined, update: false, complete, cwd })).toBeUndefined()
    expect(asked).toBe(0)
    expect(ratchet([], { baseline: { path, strict: false }, update: false, complete, cwd })?.fixed.map((e) => e.function)).toEqual(['gone'])
    expect(asked).toBe(1)
  })

  test('strict: fixed entries fail a complete run', () => {
    const path = write('strict.json')
    expect(ratchet([], { baseline: { path, strict: true }, update: false, complete: true, cwd })?.error?.message).toBe(
      'loopcop: the baseline strict.json is strict and lists 1 call site that no longer blocks: remove it from the file (LOOPCOP_UPDATE_BASELINE=1 rewrites it)',
    )
  })

  test("a stall's entry not seen in a complete run is kept, never fixed: whether a stall happens depends on the machine", () => {
    const stallEntry = { file: 'test/csv.test.ts', function: 'test: csv > parses a big file', operation: 'stall', package: '', calls: 1, tests: 1 }
    mkdirSync(join(cwd, 'test'), { recursive: true })
    writeFileSync(join(cwd, 'test/csv.test.ts'), '')
    const path = write('stall.json', [entry, stallEntry])
    const strict = ratchet([known(finding('loadUsers', 1))], { baseline: { path, strict: true }, update: false, complete: true, cwd })
    expect(strict?.fixed).toEqual([])
    expect(strict?.error).toBeUndefined()
    const updated = ratchet([], { baseline: { path, strict: false }, update: true, complete: true, cwd })
    expect(updated?.fixed.map((e) => e.function)).toEqual(['loadUsers'])
    expect((JSON.parse(readFileSync(path, 'utf8')) as { entries: unknown[] }).entries).toEqual([stallEntry])
    expect(updated?.lines).toEqual([
      'loopcop: baseline written to stall.json: 1 entry (0 added, 1 removed)',
      "loopcop: 1 stall entry not seen in this run is kept: whether a stall happens depends on the machine's speed, so a run without it does not show it fixed; delete its line when it is",
      '  kept: event loop stall in the test "csv > parses a big file" (test/csv.test.ts)',
    ])
  })

  test("a stall's entry whose test file is gone is fixed in a complete run (strict fails, an update removes it), and kept by a partial one", () => {
    const deleted = { file: 'test/deleted.test.ts', function: 'test: deleted > stalled', operation: 'stall', package: '', calls: 1, tests: 1 }
    const path = write('deleted.json', [entry, deleted])
    const partial = ratchet([known(finding('loadUsers', 1))], { baseline: { path, strict: true }, update: false, complete: false, cwd })
    expect(partial?.fixed).toEqual([])
    expect(partial?.error).toBeUndefined()
    const strict = ratchet([known(finding('loadUsers', 1))], { baseline: { path, strict: true }, update: false, complete: true, cwd })
    expect(strict?.fixed).toEqual([deleted])
    expect(strict?.lines).toContain('  fixed: event loop stall in the test "deleted > stalled" (test/deleted.test.ts): its test file is gone')
    expect(strict?.error?.message).toContain('lists 1 call site that no longer blocks')
    const kept = ratchet([], { baseline: { path, strict: false }, update: true, complete: false, cwd })
    expect(kept?.written).toBe(true)
    expect((JSON.parse(readFileSync(path, 'utf8')) as { entries: unknown[] }).entries).toEqual([entry, deleted].sort((a, b) => (a.file < b.file ? -1 : 1)))
    const updated = ratchet([known(finding('loadUsers', 1))], { baseline: { path, strict: false }, update: true, complete: true, cwd })
    expect(updated?.lines[0]).toMatch(/\(0 added, 1 removed\)$/)
    expect((JSON.parse(readFileSync(path, 'utf8')) as { entries: { file: string }[] }).entries.map((e) => e.file)).toEqual([entry.file])
  })

  test("a stall entry keyed by where it was caught (before stalls were keyed by their test) still matches; an update adds the test's entry and keeps it (it may stand for tests that did not stall this time)", () => {
    const test = { name: 'csv > parses a big file', file: join(cwd, 'test/csv.test.ts') }
    const found = stall({ test, location: { file: join(cwd, 'src/csv.ts'), line: 8, column: 1, function: 'tokenize' } })
    const old = { file: 'src/csv.ts', function: 'tokenize', operation: 'stall', package: '', calls: 1, tests: 1 }
    mkdirSync(join(cwd, 'src'), { recursive: true })
    writeFileSync(join(cwd, 'src/csv.ts'), '')
    const path = write('old-stall.json', [old])
    const marked = markKnown([found], parseBaseline(formatBaseline([old]), path), cwd)
    expect(marked.map((f) => f.baselined)).toEqual([true])
    const updated = ratchet(marked, { baseline: { path, strict: true }, update: true, complete: true, cwd })
    expect(updated?.lines).toEqual(['loopcop: baseline written to old-stall.json: 2 entries (1 added, 0 removed)'])
    expect((JSON.parse(readFileSync(path, 'utf8')) as { entries: unknown[] }).entries).toEqual([old, { file: 'test/csv.test.ts', function: 'test: csv > parses a big file', operation: 'stall', package: '', calls: 1, tests: 1 }])
  })

  test("an update says how many entries come only from stalls the run did not judge (the summary counts those apart; marked's specs: 2 judged, 5 not, 7 entries)", () => {
    const judged = stall({ test: { name: 'a', file: join(cwd, 'test/a.test.ts') } })
    const unjudged = stall({ test: { name: 'b', file: join(cwd, 'test/b.test.ts') }, unjudged: "no frame of the user's code on the stack (only Node's or dependencies')" })
    const updated = ratchet([finding('loadUsers', 1), judged, unjudged], { baseline: { path: 'unjudged.json', strict: false }, update: true, complete: true, cwd })
    expect(updated?.lines[0]).toBe('loopcop: baseline written to unjudged.json: 3 entries (3 added, 0 removed; 1 of them only stalls this run did not judge, accepted in case a later run does)')
  })

  test('an update that would write what the file holds leaves it untouched (a rewrite would start the next run of Jest’s watch mode), and says so', () => {
    const path = 'unchanged.json'
    const first = ratchet([finding('loadUsers', 1)], { baseline: { path, strict: false }, update: true, complete: true, cwd })
    expect(first?.lines[0]).toBe('loopcop: baseline written to unchanged.json: 1 entry (1 added, 0 removed)')
    const file = join(cwd, path)
    const past = new Date(Date.now() - 3_600_000)
    utimesSync(file, past, past)
    const before = statSync(file)
    const again = ratchet([finding('loadUsers', 1)], { baseline: { path, strict: false }, update: true, complete: true, cwd })
    expect(again?.lines[0]).toBe('loopcop: baseline unchanged.json already holds what this run would write, left as it was: 1 entry (0 added, 0 removed)')
    expect(again?.written).toBe(true)
    const after = statSync(file)
    expect([after.ino, after.mtimeMs]).toEqual([before.ino, before.mtimeMs])
    // Another count is another file: written.
    const more = ratchet([finding('loadUsers', 1, { calls: 3 })], { baseline: { path, strict: false }, update: true, complete: true, cwd })
    expect(more?.lines[0]).toBe('loopcop: baseline written to unchanged.json: 1 entry (0 added, 0 removed)')
    expect(statSync(file).mtimeMs).toBeGreaterThan(before.mtimeMs)
  })

  // dependency-cruiser: calls that vary from run to run (860, then 878) rewrote the file at every update.
  test('a complete update keeps the counts of an entry whose counts moved by a quarter or less, at as many lines; more, or another line, is written', () => {
    const path = 'counts.json'
    const counts = (): number[][] => (JSON.parse(readFileSync(join(cwd, path), 'utf8')) as { entries: BaselineEntry[] }).entries.map((e) => [e.calls, e.tests])
    const update = (over: Partial<SyncIoFinding>, line = 1): string | undefined => ratchet([finding('loadUsers', line, over)], { baseline: { path, strict: false }, update: true, complete: true, cwd })?.lines[0]
    expect(update({ calls: 860 })).toBe('loopcop: baseline written to counts.json: 1 entry (1 added, 0 removed)')
    expect(update({ calls: 878 })).toBe('loopcop: baseline counts.json already holds what this run would write, left as it was: 1 entry (0 added, 0 removed)')
    expect(update({ calls: 645 })).toMatch(/^loopcop: baseline counts\.json already holds/)
    expect(counts()).toEqual([[860, 1]])
    // A quarter more than recorded is another count.
    expect(update({ calls: 1076 })).toBe('loopcop: baseline written to counts.json: 1 entry (0 added, 0 removed)')
    expect(counts()).toEqual([[1076, 1]])
    // A small count that moved by one moved by more than a quarter: written.
    expect(update({ calls: 1 })).toMatch(/^loopcop: baseline written/)
    expect(update({ calls: 2 })).toMatch(/^loopcop: baseline written/)
    expect(counts()).toEqual([[2, 1]])
  })

  test('a missing baseline is an error, except for the run that writes it', () => {
    expect(ratchet([], { baseline: { path: 'missing.json', strict: false }, update: false, complete: true, cwd })?.error?.message).toMatch(/^loopcop: could not read the baseline file .*missing\.json .*ENOENT/)
    const written = ratchet([finding('loadUsers', 1)], { baseline: undefined, update: true, complete: true, cwd })
    expect(written?.error).toBeUndefined()
    expect(JSON.parse(readFileSync(join(cwd, 'loopcop-baseline.json'), 'utf8'))).toMatchObject({ version: 1, entries: [entry] })
  })

  test('the summary counts known findings apart and never says "no blocking" about them', () => {
    const text = formatSummary([known(finding('loadUsers', 1)), finding('saveUser', 2)], cwd)
    expect(text.split('\n')[0]).toMatch(/^loopcop: 1 blocking call at 1 call site in 1 test, .* \(new: not in the baseline\)$/)
    expect(text).toContain('known from the baseline (reported, not failing): 1 blocking call at 1 call site in 1 test')
    expect(formatSummary([known(finding('loadUsers', 1))], cwd).split('\n')[0]).toBe('loopcop: no new blocking of the event loop found')
    // Counted in tests, as the first line counts new ones: one site met in two tests, three calls.
    const other = { name: 'loads again', file: join(cwd, 'test/a.test.ts') }
    const twice = formatSummary([known(finding('loadUsers', 1, { calls: 2 })), known(finding('loadUsers', 1, { test: other }))], cwd)
    expect(twice).toContain('known from the baseline (reported, not failing): 3 blocking calls at 1 call site in 2 tests')
  })

  test('an entry is described as a reviewer reads it: an unnamed function is not called the top level', () => {
    const base = { operation: 'fs.readFileSync', file: 'test/util.js', package: '', calls: 1, tests: 1 }
    expect(describeEntry({ ...base, function: 'loadConfig' })).toBe('fs.readFileSync in loadConfig (test/util.js)')
    // jsdom: `(top level)` for a callback inside a function.
    expect(describeEntry({ ...base, function: '' })).toBe('fs.readFileSync in an unnamed function or top-level code (test/util.js)')
    expect(describeEntry({ ...base, function: '', package: 'undici' })).toBe('fs.readFileSync in an unnamed function or top-level code (test/util.js) via undici')
    expect(describeEntry({ ...base, file: '', function: '', package: 'undici' })).toBe('fs.readFileSync by undici (no code of yours on the stack)')
  })

  test('calls kept without a stack that the baseline knew are counted once: with the calls not judged, not among the known', () => {
    const unstacked = known(finding('loadUsers', 1, { unstacked: true, frames: [], location: undefined, calls: 22 }))
    const lines = formatSummary([known(finding('loadUsers', 1)), unstacked], cwd).split('\n')
    expect(lines).toContain('  known from the baseline (reported, not failing): 1 blocking call at 1 call site in 1 test')
    expect(lines.some((l) => l.startsWith('  22 more calls not judged, not counted above'))).toBe(true)
    const md = markdownSummary(jsonReport([known(finding('loadUsers', 1)), unstacked], { cwd }))
    expect(md).toContain('Known from the baseline (reported, not failing): 1 blocking call at 1 call site')
    expect(md).toContain('22 more calls not judged, not counted above')
  })

  test("a known entry seen at more lines than it records is not summed up as \"no new blocking\", in the console or in Markdown", () => {
    const found = [known(finding('loadUsers', 9)), known(finding('loadUsers', 14))]
    expect(formatSummary(found, cwd, undefined, undefined, 1).split('\n')[0]).toBe("loopcop: no blocking of the event loop found outside the baseline's entries, but one of them was seen at more lines than it records (below)")
    expect(formatSummary(found, cwd).split('\n')[0]).toBe('loopcop: no new blocking of the event loop found')
    const grown = [{ ...entry, sites: 1, lines: [9, 14] }]
    const md = markdownSummary(jsonReport(found, { cwd, baseline: { path: 'loopcop-baseline.json', known: 2, complete: true, fixed: [], grown, written: false } }))
    expect(md).toContain("No blocking of the event loop found outside the baseline's entries, but some were seen at more lines than they record (below).")
    expect(md).toContain('- fs.readFileSync in loadUsers (src/users.ts): lines 9, 14, where the baseline records 1')
    expect(md).not.toContain('No new blocking')
    const shrunk = markdownSummary(jsonReport([known(finding('loadUsers', 9))], { cwd, baseline: { path: 'loopcop-baseline.json', known: 1, complete: true, fixed: [], shrunk: [{ ...entry, sites: 2, lines: [9] }], written: false } }))
    expect(shrunk).toContain('- fs.readFileSync in loadUsers (src/users.ts): 1 line (9), where the baseline records 2')
  })
})

describe('options', () => {
  test('baseline: a path or { path, strict }, validated', () => {
    expect(validateOptions({ baseline: 'b.json' })).toEqual({ baseline: { path: 'b.json', strict: false } })
    expect(validateOptions({ baseline: { path: 'b.json', strict: true } })).toEqual({ baseline: { path: 'b.json', strict: true } })
    expect(() => validateOptions({ baseline: '' })).toThrow(new TypeError('Expected `baseline` to be a non-empty file path or `{ path, strict? }`, got `""` (string)'))
    expect(() => validateOptions({ baseline: { strict: true } })).toThrow(new TypeError('Expected `baseline.path` to be a non-empty file path, got `undefined` (undefined)'))
    expect(() => validateOptions({ baseline: { path: 'b', strict: 'yes' } })).toThrow(new TypeError('Expected `baseline.strict` to be a boolean, got `"yes"` (string)'))
    expect(() => validateOptions({ baseline: { path: 'b', strit: true } })).toThrow(/unknown key `strit`/)
  })

  test('LOOPCOP_BASELINE sets the path; LOOPCOP_UPDATE_BASELINE takes 1/true/0/false only', () => {
    expect(envOverrides({ LOOPCOP_BASELINE: 'b.json' }).baseline).toEqual({ path: 'b.json' })
    expect(() => envOverrides({ LOOPCOP_UPDATE_BASELINE: 'yes' })).toThrow(/^Expected `LOOPCOP_UPDATE_BASELINE` to be '1' \(or 'true'\) .*, got `"yes"` \(string\) from the environment variable LOOPCOP_UPDATE_BASELINE$/)
    expect(() => envOverrides({ LOOPCOP_UPDATE_BASELINE: '1' })).not.toThrow()
  })
})
