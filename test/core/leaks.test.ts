import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import type { Finding, SyncIoFinding } from '../../src/model/finding.js'
import { gatheredLeaks } from '../../src/report/leaks.js'

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
