import childProcess from 'node:child_process'
import crypto from 'node:crypto'
import fs from 'node:fs'
import * as fsNamespace from 'node:fs'
import { join } from 'node:path'
import zlib from 'node:zlib'
import { describe, expect, test } from 'vitest'
import { activate, deactivate, detect, isActive, markAsBlocking } from '../../src/index.js'
import { catalog } from '../../src/model/operation.js'
import { isPresent, siteTarget } from './recipes.js'
import { defaultsWithoutStalls, outcomeOf, revokedProxy, syncIo, tempDir } from './support.js'

// Taken before anything in this file activates loopcop.
const originalDirReadSync = fs.Dir.prototype.readSync
defaultsWithoutStalls()
const dir = tempDir()
const file = join(dir, 'data.txt')
const link = join(dir, 'link')
fs.writeFileSync(file, 'some data')
fs.symlinkSync(file, link)

describe('wrapped functions', () => {
  test('look like the originals, and deactivate() puts the originals back by identity', () => {
    // Nothing else in this file's process installed loopcop before this test.
    expect(isActive()).toBe(false)
    const sites = catalog.filter(isPresent)
    const originals = sites.map((s) => siteTarget(s)[s.key] as Function)
    const originalNative = fs.realpathSync.native
    const originalReadFileSync = fs.readFileSync

    activate()
    expect(isActive()).toBe(true)
    const wrappers = sites.map((s) => siteTarget(s)[s.key] as Function)
    // ESM named exports see the wrappers too.
    expect(fsNamespace.readFileSync).toBe(fs.readFileSync)
    expect(fsNamespace.readFileSync).not.toBe(originalReadFileSync)

    deactivate()
    expect(isActive()).toBe(false)
    sites.forEach((site, i) => {
      const original = originals[i]!
      const wrapper = wrappers[i]!
      const id = site.operation.id
      expect(wrapper, id).not.toBe(original)
      expect(siteTarget(site)[site.key], `${id} restored`).toBe(original)
      expect({ id, name: wrapper.name, length: wrapper.length }).toEqual({ id, name: original.name, length: original.length })
      expect({ id, keys: Reflect.ownKeys(wrapper) }).toEqual({ id, keys: Reflect.ownKeys(original) })
      for (const key of Reflect.ownKeys(original)) {
        const o = Object.getOwnPropertyDescriptor(original, key)!
        const w = Object.getOwnPropertyDescriptor(wrapper, key)!
        // `realpathSync.native` is itself wrapped; every other own property is the original's.
        if (id === 'fs.realpathSync' && key === 'native') continue
        expect({ id, key: String(key), ...w }).toEqual({ id, key: String(key), ...o })
      }
    })
    expect(fs.readFileSync).toBe(originalReadFileSync)
    expect(fsNamespace.readFileSync).toBe(originalReadFileSync)
    expect(fs.realpathSync.native).toBe(originalNative)
  })

  test('detect() installs again after deactivate()', async () => {
    deactivate()
    const { findings } = await detect(() => fs.statSync(file))
    expect(isActive()).toBe(true)
    expect(syncIo(findings).map((f) => f.operation)).toEqual(['fs.statSync'])
  })

  test('return the same values as the originals', async () => {
    activate()
    const outside = {
      text: fs.readFileSync(file, 'utf8'),
      size: fs.statSync(file).size,
      exists: [fs.existsSync(file), fs.existsSync(join(dir, 'missing'))],
      entries: fs.readdirSync(dir).sort(),
      real: fs.realpathSync(link),
      native: fs.realpathSync.native(link),
      gunzipped: zlib.gunzipSync(zlib.gzipSync('abc')).toString(),
      key: crypto.pbkdf2Sync('pw', 'salt', 1, 8, 'sha256').toString('hex'),
    }
    const { value, findings } = await detect(() => ({
      text: fs.readFileSync(file, 'utf8'),
      size: fs.statSync(file).size,
      exists: [fs.existsSync(file), fs.existsSync(join(dir, 'missing'))],
      entries: fs.readdirSync(dir).sort(),
      real: fs.realpathSync(link),
      native: fs.realpathSync.native(link),
      gunzipped: zlib.gunzipSync(zlib.gzipSync('abc')).toString(),
      key: crypto.pbkdf2Sync('pw', 'salt', 1, 8, 'sha256').toString('hex'),
    }))
    expect(value).toEqual(outside)
    expect(value.real).toBe(file)
    expect(operationsOf(findings)).toEqual(['crypto.pbkdf2Sync', 'fs.existsSync', 'fs.readFileSync', 'fs.readdirSync', 'fs.realpathSync', 'fs.realpathSync.native', 'fs.statSync', 'zlib.gunzipSync', 'zlib.gzipSync'])
  })

  test('throw the same errors as the originals', async () => {
    activate()
    const missing = join(dir, 'nope.txt')
    const capture = (fn: () => unknown): NodeJS.ErrnoException => {
      try {
        fn()
      } catch (error) {
        return error as NodeJS.ErrnoException
      }
      throw new Error('expected a throw')
    }
    const outside = capture(() => fs.readFileSync(missing))
    const { value: inside, findings } = await detect(() => capture(() => fs.readFileSync(missing)))
    expect(inside).toBeInstanceOf(Error)
    expect(inside.constructor).toBe(outside.constructor)
    expect({ code: inside.code, errno: inside.errno, syscall: inside.syscall, path: inside.path, message: inside.message }).toEqual({
      code: 'ENOENT',
      errno: outside.errno,
      syscall: outside.syscall,
      path: missing,
      message: outside.message,
    })
    // The failed call still blocked, so it is still a finding.
    expect(operationsOf(findings)).toEqual(['fs.readFileSync'])
  })

  test('an argument loopcop cannot read leaves the call as it is, whatever summarizes it before the call', async () => {
    // A revoked proxy as the path: Node's fs.existsSync answers false; reading it throws anywhere else.
    // Rules that need no stack (a `path` rule) and `mode: 'throw'` summarize the argument before the
    // call, the capture of a call a built-in rule may allow does too.
    const proxy = revokedProxy()
    const bare = outcomeOf(() => fs.existsSync(proxy as unknown as string))
    expect(bare).toBe(false)
    for (const options of [{ allow: [{ path: '**/nowhere/**' }] }, { mode: 'throw' as const, allow: ['fs.existsSync'] }, { allow: ['fs.readFileSync'] }]) {
      const { value } = await detect(() => outcomeOf(() => fs.existsSync(proxy as unknown as string)), options)
      expect(value).toBe(bare)
    }
  })

  test("summarizing an argument runs none of the caller's code: a proxy's traps and a toString run as often as without loopcop", async () => {
    // Each way loopcop summarizes an argument: before the call (a `path` rule, `mode: 'throw'`), and
    // for the finding after it.
    const optionsList = [{}, { allow: [{ path: '**/nowhere/**' }] }, { mode: 'throw' as const, allow: ['fs.existsSync', 'child_process.execFileSync', 'zlib.gzipSync'] }]
    let traps = 0
    const counting = <T extends object>(target: T): T =>
      new Proxy(target, {
        getPrototypeOf: (t) => (traps++, Reflect.getPrototypeOf(t)),
        get: (t, k, r) => (traps++, Reflect.get(t, k, r) as unknown),
        has: (t, k) => (traps++, Reflect.has(t, k)),
        ownKeys: (t) => (traps++, Reflect.ownKeys(t)),
        getOwnPropertyDescriptor: (t, k) => (traps++, Reflect.getOwnPropertyDescriptor(t, k)),
      })
    let strings = 0
    const arg = { toString: () => (strings++, 'argument') }
    const calls: Record<string, () => unknown> = {
      'a proxy of a URL as a path': () => fs.existsSync(counting(new URL(`file://${file}`)) as unknown as string),
      'a proxy of a Buffer as a path': () => fs.existsSync(counting(Buffer.from(file)) as unknown as string),
      'a proxy of an argument list': () => childProcess.execFileSync(process.execPath, counting(['-e', '0']) as string[]),
      'an object among the arguments': () => childProcess.execFileSync(process.execPath, ['-e', '0', arg as unknown as string]),
      'a proxy of a buffer to compress': () => zlib.gzipSync(counting(new Uint8Array(8)) as unknown as Uint8Array),
    }
    for (const [what, call] of Object.entries(calls)) {
      traps = strings = 0
      const bare = outcomeOf(call)
      const counts = { traps, strings }
      for (const options of optionsList) {
        traps = strings = 0
        const { value } = await detect(() => outcomeOf(call), options)
        expect({ what, options, value: String(value) }).toEqual({ what, options, value: String(bare) })
        expect({ what, options, traps, strings }).toEqual({ what, options, ...counts })
      }
    }
  })

  test('rethrow the very object the original threw, inside and outside a scope', async () => {
    const thrown = new RangeError('the original threw this')
    const notAnError = { reason: 'not even an Error' }
    const api = {
      boom(): never {
        throw thrown
      },
      odd(): never {
        throw notAnError
      },
    }
    const undo = markAsBlocking(api, 'boom', { id: 'api.boom' })
    const undoOdd = markAsBlocking(api, 'odd', { id: 'api.odd' })
    activate()
    try {
      expect(() => api.boom()).toThrow(thrown)
      const { value } = await detect(() => {
        const caught: unknown[] = []
        for (const fn of [() => api.boom(), () => api.odd()]) {
          try {
            fn()
          } catch (error) {
            caught.push(error)
          }
        }
        return caught
      })
      expect(value[0]).toBe(thrown)
      expect(value[1]).toBe(notAnError)
      // Also through detect() itself: an error fn throws is passed through as is.
      await expect(detect(() => api.boom())).rejects.toBe(thrown)
    } finally {
      undo()
      undoOdd()
    }
  })

  test('keep `this`', async () => {
    activate()
    const handle = fs.opendirSync(dir)
    try {
      const { value, findings } = await detect(() => handle.readSync())
      expect(value).toBeInstanceOf(fs.Dirent)
      expect(fs.readdirSync(dir)).toContain(value!.name)
      expect(operationsOf(findings)).toEqual(['fs.Dir#readSync'])
    } finally {
      handle.closeSync()
    }
    // A Dir method called on something that is not a Dir fails exactly as the original does.
    const other = {} as fs.Dir
    const failure = (fn: () => unknown) => {
      try {
        fn()
      } catch (error) {
        return { type: (error as Error).constructor, code: (error as NodeJS.ErrnoException).code, message: (error as Error).message }
      }
      return 'no error'
    }
    expect(fs.Dir.prototype.readSync).not.toBe(originalDirReadSync)
    const expected = failure(() => originalDirReadSync.call(other))
    expect(expected).not.toBe('no error')
    expect(failure(() => fs.Dir.prototype.readSync.call(other))).toEqual(expected)
    expect((await detect(() => failure(() => fs.Dir.prototype.readSync.call(other)))).value).toEqual(expected)
  })

  test('fs.realpathSync.native still exists and works', async () => {
    activate()
    expect(typeof fs.realpathSync.native).toBe('function')
    expect(fs.realpathSync.native(link)).toBe(file)
    const { value, findings } = await detect(() => fs.realpathSync.native(link))
    expect(value).toBe(file)
    expect(operationsOf(findings)).toEqual(['fs.realpathSync.native'])
  })
})

/** The distinct operations found, sorted. */
function operationsOf(findings: Parameters<typeof syncIo>[0]): string[] {
  return [...new Set(syncIo(findings).map((f) => f.operation))].sort()
}
