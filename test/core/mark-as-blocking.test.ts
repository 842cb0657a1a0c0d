import fs from 'node:fs'
import { describe, expect, test } from 'vitest'
import { activate, deactivate, detect, isActive, markAsBlocking } from '../../src/index.js'
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

  test('options must be an object with only id and hint; the method a string or symbol', () => {
    const api = { call: (): number => 1 }
    const original = api.call
    expect(() => markAsBlocking(api, 'call', null as unknown as undefined)).toThrow(
      new TypeError('Expected `options` to be an object `{ id?: string, hint?: string }`, got `null` (null) in markAsBlocking()'),
    )
    expect(() => markAsBlocking(api, 'call', { idd: 'x' } as unknown as { id: string })).toThrow(
      new TypeError('Expected `options` to be an object with only `id` and `hint` (unknown key `idd`), got `{"idd":"x"}` (object) in markAsBlocking()'),
    )
    expect(() => markAsBlocking(api, 1 as unknown as string)).toThrow(new TypeError('Expected `method` to be a property name (a string or a symbol), got `1` (number) in markAsBlocking()'))
    // Nothing was marked by the refused calls.
    activate()
    expect(api.call).toBe(original)
  })

  test('a getter is refused with a reason, and never run', () => {
    let reads = 0
    const client = {
      get query(): () => string {
        reads++
        return () => 'rows'
      },
    }
    expect(() => markAsBlocking(client, 'query')).toThrow(
      new TypeError(
        'Expected `target[query]` to be a method, got an accessor (getter/setter) property in markAsBlocking(): a getter is not wrapped (what would count, reading it or calling what it returns?); mark the method that blocks where it is defined',
      ),
    )
    expect(reads).toBe(0)
  })

  describe('a frozen method', () => {
    const frozen = Object.freeze({ run: (): number => 1 })
    const refusal = new TypeError(
      'Expected `target[run]` to be a method loopcop can replace, got a frozen one (read-only and non-configurable: `Object.freeze()`?) in markAsBlocking(); mark it before the object is frozen',
    )

    test('is refused with a reason, active or not, and loopcop stays whole', async () => {
      const wait = Atomics.wait
      for (const active of [false, true]) {
        if (active) activate()
        else deactivate()
        expect(() => markAsBlocking(frozen, 'run')).toThrow(refusal)
        expect(isActive()).toBe(active)
      }
      deactivate()
      activate()
      expect(Atomics.wait).not.toBe(wait)
      const { findings } = await detect(() => fs.statSync(__filename))
      expect(syncIo(findings).map((f) => f.operation)).toEqual(['fs.statSync'])
    })

    test('frozen after it was marked: activate() puts everything back and says why (all or nothing)', async () => {
      deactivate()
      const readFileSync = fs.readFileSync
      const wait = Atomics.wait
      const api = { run: (): number => 1 }
      const undo = markAsBlocking(api, 'run', { id: 'api.run' })
      Object.freeze(api)
      try {
        expect(() => activate()).toThrow(
          new TypeError('loopcop cannot wrap `run` (api.run, marked with markAsBlocking()): it has been frozen since (read-only and non-configurable); mark it before freezing the object, or undo the mark'),
        )
        expect(isActive()).toBe(false)
        expect(fs.readFileSync).toBe(readFileSync)
        expect(Atomics.wait).toBe(wait)
      } finally {
        undo()
      }
      activate()
      expect(isActive()).toBe(true)
      expect(Atomics.wait).not.toBe(wait)
      expect(syncIo((await detect(() => fs.statSync(__filename))).findings).map((f) => f.operation)).toEqual(['fs.statSync'])
    })
  })

  describe('a class or constructor', () => {
    class Client {
      static readonly kind: string = 'client'
      constructor(readonly url: string) {}

      static open(url: string): Client {
        return new this(url)
      }
    }
    class Base {
      static create(): string {
        return 'made by Base'
      }
    }
    class Derived extends Base {}

    test('keeps `new` working: instances, instanceof, subclasses, statics; constructing is the finding', async () => {
      const lib = { Client, Derived }
      activate()
      const undo = markAsBlocking(lib, 'Client', { id: 'lib.connect' })
      const undoDerived = markAsBlocking(lib, 'Derived')
      try {
        const Wrapped = lib.Client
        expect(Wrapped).not.toBe(Client)
        // Outside a scope, and inside one.
        const outside = new Wrapped('a')
        expect(outside).toBeInstanceOf(Client)
        expect(outside).toBeInstanceOf(Wrapped)
        expect(outside.url).toBe('a')
        const { value, findings } = await detect(() => new Wrapped('b'))
        expect(value).toBeInstanceOf(Client)
        expect(value.url).toBe('b')
        expect(syncIo(findings).map((f) => [f.operation, f.calls])).toEqual([['lib.connect', 1]])
        // A subclass of the wrapper builds instances of itself.
        class Pooled extends Wrapped {
          pooled = true
        }
        const pooled = new Pooled('c')
        expect(pooled).toBeInstanceOf(Pooled)
        expect(pooled).toBeInstanceOf(Client)
        expect([pooled.url, pooled.pooled]).toEqual(['c', true])
        // Statics, own and inherited.
        expect(Wrapped.kind).toBe('client')
        expect(Wrapped.open('d').url).toBe('d')
        expect((lib.Derived as typeof Derived).create()).toBe('made by Base')
        expect(new lib.Derived()).toBeInstanceOf(Derived)
        // Called without `new`, it throws as the class does.
        expect(() => (Wrapped as unknown as (url: string) => Client)('e')).toThrow(TypeError)
        expect(Wrapped.name).toBe('Client')
        expect(Wrapped.prototype).toBe(Client.prototype)
      } finally {
        undo()
        undoDerived()
      }
      expect(lib.Client).toBe(Client)
    })

    test('an old-style constructor function works with and without `new`', async () => {
      function Pool(this: { size: number } | undefined, size: number): { size: number } {
        if (this === undefined || !(this instanceof Pool)) return { size: -size }
        this.size = size
        return this
      }
      const lib = { Pool }
      activate()
      const undo = markAsBlocking(lib, 'Pool', { id: 'lib.Pool' })
      try {
        const Wrapped = lib.Pool as unknown as new (size: number) => { size: number }
        const { value, findings } = await detect(() => new Wrapped(3))
        expect(value).toBeInstanceOf(Pool)
        expect(value.size).toBe(3)
        expect(syncIo(findings).map((f) => f.operation)).toEqual(['lib.Pool'])
        expect((lib.Pool as unknown as (size: number) => { size: number })(4)).toEqual({ size: -4 })
      } finally {
        undo()
      }
    })
  })
})
