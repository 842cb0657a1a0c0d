import fs from 'node:fs'
import { describe, expect, test } from 'vitest'
import { activate, deactivate, detect, markAsBlocking } from '../../src/index.js'
import { defaultsWithoutStalls, syncIo } from './support.js'

defaultsWithoutStalls()

/** A stand-in for a native addon's synchronous client (better-sqlite3's Statement, say). */
class Statement {
  constructor(readonly rows: number[]) {}

  run(factor: number, offset = 0): number[] {
    return this.rows.map((r) => r * factor + offset)
  }

  static compile(sql: string): string {
    return sql.trim()
  }
}

describe('markAsBlocking()', () => {
  test('a marked method is found with its id and hint, keeping this, arguments and return value', async () => {
    const original = Statement.prototype.run
    const undo = markAsBlocking(Statement.prototype, 'run', { id: 'sqlite.run', hint: 'run it in a worker thread' })
    try {
      const statement = new Statement([1, 2, 3])
      const { value, findings } = await detect(() => statement.run(10, 1))
      expect(value).toEqual([11, 21, 31])
      expect(findings).toHaveLength(1)
      expect(syncIo(findings)[0]).toMatchObject({ operation: 'sqlite.run', category: 'user', hint: 'run it in a worker thread', calls: 1, allowed: false })
      expect(Statement.prototype.run).not.toBe(original)
      expect(Statement.prototype.run.name).toBe('run')
      expect(Statement.prototype.run.length).toBe(original.length)
      // Allow rules see the user's id.
      expect((await detect(() => statement.run(1), { allow: ['sqlite.*'] })).blocking).toEqual([])
    } finally {
      undo()
    }
    expect(Statement.prototype.run).toBe(original)
    expect((await detect(() => new Statement([1]).run(2))).findings).toEqual([])
  })

  test('default id and hint', async () => {
    const client = {
      query(): string {
        return 'rows'
      },
    }
    const undoProto = markAsBlocking(Statement.prototype, 'run')
    const undoStatic = markAsBlocking(Statement, 'compile')
    const undoPlain = markAsBlocking(client, 'query')
    try {
      const { findings } = await detect(() => {
        new Statement([1]).run(1)
        Statement.compile(' select 1 ')
        client.query()
      })
      expect(
        syncIo(findings)
          .map((f) => f.operation)
          .sort(),
      ).toEqual(['Object.query', 'Statement.compile', 'Statement.run'])
      expect(syncIo(findings)[0]!.hint).toBe('move it off the event loop (a worker thread or an async API)')
    } finally {
      undoProto()
      undoStatic()
      undoPlain()
    }
  })

  test('a marked method that calls a blocking API is one finding, the marked one', async () => {
    const loader = {
      load(path: string): string {
        return fs.readFileSync(path, 'utf8') + fs.statSync(path).size
      },
    }
    const undo = markAsBlocking(loader, 'load', { id: 'loader.load' })
    try {
      const { findings } = await detect(() => loader.load(__filename))
      expect(syncIo(findings).map((f) => f.operation)).toEqual(['loader.load'])
    } finally {
      undo()
    }
  })

  test('survives deactivate() and activate(); undo works while inactive', async () => {
    const api = { call: (): number => 1 }
    const original = api.call
    const undo = markAsBlocking(api, 'call', { id: 'api.call' })
    activate()
    expect(api.call).not.toBe(original)
    deactivate()
    expect(api.call).toBe(original)
    activate()
    expect(syncIo((await detect(() => api.call())).findings).map((f) => f.operation)).toEqual(['api.call'])
    deactivate()
    undo()
    activate()
    expect(api.call).toBe(original)
    expect((await detect(() => api.call())).findings).toEqual([])
  })

  test('a method marked twice is wrapped once per mark, and undoing in any order restores it', async () => {
    for (const order of ['first-first', 'last-first'] as const) {
      activate()
      const api = { call: (): number => 1 }
      const original = api.call
      const undoFirst = markAsBlocking(api, 'call', { id: 'api.first' })
      const undoSecond = markAsBlocking(api, 'call', { id: 'api.second' })
      // One call, one finding.
      expect((await detect(() => api.call())).findings).toHaveLength(1)
      if (order === 'first-first') {
        undoFirst()
        expect(syncIo((await detect(() => api.call())).findings).map((f) => f.operation)).toEqual(['api.second'])
        undoSecond()
      } else {
        undoSecond()
        expect(syncIo((await detect(() => api.call())).findings).map((f) => f.operation)).toEqual(['api.first'])
        undoFirst()
      }
      expect({ order, restored: api.call === original }).toEqual({ order, restored: true })
      expect((await detect(() => api.call())).findings).toEqual([])
      deactivate()
      expect(api.call).toBe(original)
    }
  })

  test('undo twice is harmless', () => {
    const api = { call: (): number => 1 }
    const original = api.call
    const undo = markAsBlocking(api, 'call')
    activate()
    undo()
    undo()
    expect(api.call).toBe(original)
  })

  test('rejects what it cannot wrap, saying why', () => {
    const child = Object.create(Statement.prototype) as Statement
    expect(() => markAsBlocking(child, 'run')).toThrow(
      new TypeError('markAsBlocking(): `run` is inherited, not an own property of the target; pass the object that defines it (e.g. the class\'s prototype)'),
    )
    expect(() => markAsBlocking({}, 'nope')).toThrow(new TypeError('Expected `target[nope]` to be a function, got `undefined` (undefined) in markAsBlocking()'))
    expect(() => markAsBlocking(null as unknown as object, 'x')).toThrow(
      new TypeError('Expected `target` to be an object or function whose method blocks, got `null` (null) in markAsBlocking()'),
    )
    expect(() => markAsBlocking({ f() {} }, 'f', { id: '' })).toThrow(new TypeError('Expected `id` to be a non-empty string, got `""` (string) in markAsBlocking()'))
    expect(() => markAsBlocking({ f() {} }, 'f', { hint: 3 as unknown as string })).toThrow(new TypeError('Expected `hint` to be a string, got `3` (number) in markAsBlocking()'))
  })
})
