import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import type { Finding, SyncIoFinding } from '../../src/model/finding.js'
import { gatheredLeaks } from '../../src/report/leaks.js'
import { RunRecording } from '../../src/report/run.js'
import { SPOOL_ENV, SpoolWriter } from '../../src/report/spool.js'

const cwd = process.cwd()
let ids = 0

function leak(over: Partial<SyncIoFinding> = {}): SyncIoFinding {
  return {
    kind: 'sync-io',
    id: `leak-${++ids}`,
    operation: 'fs.readFileSync',
    category: 'fs',
    hint: 'use fs.promises.readFile',
    args: 'package.json',
    durationMs: 1,
    maxMs: 1,
    calls: 1,
    allowed: false,
    leak: true,
    unstacked: false,
    raised: false,
    test: { name: 'leaves an interval', file: join(cwd, 'test/a.test.js') },
    location: { file: join(cwd, 'src/config.js'), line: 5, column: 10 },
    frames: [],
    ...over,
  } as SyncIoFinding
}

// An integration that takes leaks as they happen records a finding a call (koa: 878 in 20 s from
// one interval); the report gathers them by test and call site, the counts adding up.
describe('gatheredLeaks', () => {
  test("one test's leaked calls at one call site are one finding: the first's, with every call's count and time", () => {
    const other: Finding = { ...leak(), leak: false, id: 'own' }
    const found = [leak({ durationMs: 1, maxMs: 1 }), other, leak({ durationMs: 3, maxMs: 3 }), leak({ durationMs: 2, maxMs: 2, args: 'tsconfig.json' })]
    const gathered = gatheredLeaks(found)
    expect(gathered.map((f) => f.id)).toEqual([found[0]?.id, 'own'])
    expect(gathered[0]).toMatchObject({ calls: 3, durationMs: 6, maxMs: 3, args: 'package.json', otherArgs: 1, leak: true })
    expect(gathered.reduce((n, f) => n + f.calls, 0)).toBe(found.reduce((n, f) => n + f.calls, 0))
  })

  test('leaks of other tests, other call sites or judged otherwise stay apart; a single leak is kept as it is', () => {
    const first = leak()
    const found = [
      first,
      leak({ test: { name: 'another test', file: join(cwd, 'test/a.test.js') } }),
      leak({ location: { file: join(cwd, 'src/config.js'), line: 9, column: 3 } }),
      leak({ allowed: true, allowedBy: 'allowBlocking()' }),
      leak({ test: { name: 'leaves an interval', file: join(cwd, 'test/a.test.js'), project: 'jsdom' } }),
    ]
    const gathered = gatheredLeaks(found)
    expect(gathered).toHaveLength(5)
    expect(gathered[0]).toBe(first)
  })
})

// A test worker writes its findings to a spool file the reporting process reads at the end. A
// leaked interval made a line a call (koa: 878 lines in 20 s, one site); now the first call of a
// site is written at once and the later ones are held, a finding a site.
describe('SpoolWriter', () => {
  let dir: string
  let clock = 0
  const saved = process.env[SPOOL_ENV]
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'loopcop-spool-test-'))
    process.env[SPOOL_ENV] = dir
    clock = 0
  })
  afterEach(() => {
    if (saved === undefined) delete process.env[SPOOL_ENV]
    else process.env[SPOOL_ENV] = saved
    rmSync(dir, { recursive: true, force: true })
  })
  const lines = (): Finding[] =>
    readdirSync(dir)
      .filter((n) => n.endsWith('.jsonl'))
      .flatMap((n) => readFileSync(join(dir, n), 'utf8').split('\n').filter((l) => l !== ''))
      .map((l) => JSON.parse(l) as Finding)

  test("a leaked site's first call is written at once, the later ones held and written as one finding with the next test's findings", () => {
    const writer = new SpoolWriter(() => clock)
    const first = leak()
    writer.add([first])
    expect(lines().map((f) => f.id)).toEqual([first.id])
    for (let i = 0; i < 50; i++) writer.add([leak({ durationMs: 2, maxMs: i === 7 ? 9 : 2, args: i % 2 === 0 ? 'a.json' : 'b.json' })])
    expect(lines()).toHaveLength(1)
    const own: Finding = { ...leak(), leak: false, id: 'own' }
    writer.add([own])
    const written = lines()
    expect(written.map((f) => f.id)).toEqual([first.id, `${first.id}.1`, 'own'])
    expect(written[1]).toMatchObject({ calls: 50, durationMs: 100, maxMs: 9, otherArgs: 2, leak: true, args: first.args })
    // The report gathers them into one finding of every call.
    expect(gatheredLeaks(written).filter((f) => f.leak)).toEqual([expect.objectContaining({ id: first.id, calls: 51, durationMs: 101, maxMs: 9, otherArgs: 2 })])
  })

  test('held calls are written at the next leaked call a second after the last write, each batch a finding of its own', () => {
    const writer = new SpoolWriter(() => clock)
    const first = leak()
    writer.add([first])
    clock = 500
    writer.add([leak()])
    expect(lines()).toHaveLength(1)
    clock = 1000
    writer.add([leak()])
    expect(lines().map((f) => [f.id, f.calls])).toEqual([
      [first.id, 1],
      [`${first.id}.1`, 2],
    ])
    clock = 1500
    writer.add([leak()])
    writer.flush()
    expect(lines().map((f) => [f.id, f.calls])).toEqual([
      [first.id, 1],
      [`${first.id}.1`, 2],
      [`${first.id}.2`, 1],
    ])
    // Nothing held: nothing more is written.
    writer.flush()
    expect(lines()).toHaveLength(3)
  })

  test("another test's leak, or another call site, is written at once", () => {
    const writer = new SpoolWriter(() => clock)
    writer.add([leak()])
    writer.add([leak({ test: { name: 'another test', file: join(cwd, 'test/a.test.js') } })])
    writer.add([leak({ location: { file: join(cwd, 'src/config.js'), line: 9, column: 3 } })])
    expect(lines()).toHaveLength(3)
  })

  test('written at once (a Vitest worker whose file ended, which may be stopped any moment): a site\'s first hundred calls one by one, then held', () => {
    const writer = new SpoolWriter(() => clock)
    const calls = Array.from({ length: 105 }, () => leak())
    for (const f of calls) writer.add([f], true)
    expect(lines().map((f) => f.id)).toEqual(calls.slice(0, 101).map((f) => f.id))
    writer.flush()
    expect(lines().slice(101).map((f) => [f.id, f.calls])).toEqual([[`${calls[0]!.id}.1`, 4]])
    expect(gatheredLeaks(lines())).toEqual([expect.objectContaining({ id: calls[0]!.id, calls: 105 })])
  })

  test('the run was reported (its folder removed): nothing is written, and no folder is made again', () => {
    const writer = new SpoolWriter(() => clock)
    rmSync(dir, { recursive: true })
    writer.add([leak()], true)
    writer.add([{ ...leak(), leak: false, id: 'own' }])
    expect(existsSync(dir)).toBe(false)
  })

  test('what a worker holds is written when its process exits', async () => {
    const script = join(dir, 'worker.mjs')
    const spool = pathToFileURL(join(cwd, 'src/report/spool.ts')).href
    writeFileSync(
      script,
      `import { SpoolWriter } from ${JSON.stringify(spool)}
const leak = ${JSON.stringify(leak())}
const writer = new SpoolWriter(() => 0)
for (let i = 0; i < 5; i++) writer.add([{ ...leak, id: 'w-' + i }])
process.exit(0)
`,
    )
    const run = spawnSync(process.execPath, ['--import', 'tsx', script], { env: { ...process.env, [SPOOL_ENV]: dir }, encoding: 'utf8' })
    expect(run.status, run.stderr).toBe(0)
    expect(lines().map((f) => [f.id, f.calls])).toEqual([
      ['w-0', 1],
      ['w-0.1', 4],
    ])
  })
})

// The reporting process (Jest in band, Mocha serial, node:test) took a finding a leaked call into
// the run's memory until the report: a run-long interval grew it with every tick.
describe('a run recorded in this process', () => {
  test("keeps a leaked site's calls as one finding as they arrive, and one already seen (same id) once", () => {
    const run = new RunRecording()
    const first = leak()
    const own: Finding = { ...leak(), leak: false, id: 'own' }
    run.add([first, own])
    for (let i = 0; i < 1000; i++) run.add([leak()])
    run.add([first])
    const { findings } = run.finish()
    expect(findings.map((f) => [f.id, f.calls])).toEqual([
      [first.id, 1001],
      ['own', 1],
    ])
  })
})
