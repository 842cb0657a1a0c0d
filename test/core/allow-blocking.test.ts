import fs from 'node:fs'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import { allowBlocking, detect } from '../../src/index.js'
import { defaultsWithoutStalls, delay, operationsOf, tempDir } from './support.js'

defaultsWithoutStalls()
const dir = tempDir()
const file = join(dir, 'f.txt')
fs.writeFileSync(file, 'content')

describe('allowBlocking() without an argument', () => {
  test('allows every blocking call for the rest of the scope, timers and continuations included', async () => {
    const { findings } = await detect(async () => {
      fs.statSync(file)
      await delay(1)
      allowBlocking()
      fs.readFileSync(file)
      await delay(1)
      fs.lstatSync(file)
      await new Promise<void>((resolve) =>
        setTimeout(() => {
          fs.existsSync(file)
          resolve()
        }, 1),
      )
    })
    expect(operationsOf(findings.filter((f) => !f.allowed))).toEqual(['fs.statSync'])
    // The allowed calls are in the report, counted under the rule that allowed them, never failing.
    const allowed = findings.filter((f) => f.allowed)
    expect(allowed.map((f) => [f.kind === 'sync-io' ? f.operation : f.kind, f.allowedBy, f.calls]).sort()).toEqual([
      ['fs.existsSync', 'allowBlocking()', 1],
      ['fs.lstatSync', 'allowBlocking()', 1],
      ['fs.readFileSync', 'allowBlocking()', 1],
    ])
  })

  test('allows only its own scope: not the enclosing one, not a concurrent one', async () => {
    const [outer, sibling] = await Promise.all([
      detect(async () => {
        await detect(() => {
          allowBlocking()
          fs.statSync(file)
        })
        fs.readFileSync(file)
      }),
      detect(async () => {
        await delay(1)
        fs.lstatSync(file)
      }),
    ])
    expect(operationsOf(outer.findings)).toEqual(['fs.readFileSync'])
    expect(operationsOf(sibling.findings)).toEqual(['fs.lstatSync'])
  })

  test('outside any scope does nothing and does not throw', () => {
    expect(allowBlocking()).toBeUndefined()
  })
})

describe('allowBlocking(fn)', () => {
  test('sync: allows only while fn runs and returns its result', async () => {
    const { findings, value } = await detect(() => {
      const text = allowBlocking(() => fs.readFileSync(file, 'utf8'))
      fs.statSync(file)
      return text
    })
    expect(value).toBe('content')
    expect(operationsOf(findings.filter((f) => !f.allowed))).toEqual(['fs.statSync'])
    expect(findings.filter((f) => f.allowed).map((f) => [f.allowedBy, f.calls])).toEqual([['allowBlocking(fn)', 1]])
  })

  test('async: allows fn’s continuations, resolves to its result, and the scope counts again after', async () => {
    const { findings, value } = await detect(async () => {
      const result = await allowBlocking(async () => {
        await delay(1)
        fs.readFileSync(file)
        await delay(1)
        fs.existsSync(file)
        return 42
      })
      fs.statSync(file)
      return result
    })
    expect(value).toBe(42)
    expect(operationsOf(findings.filter((f) => !f.allowed))).toEqual(['fs.statSync'])
  })

  test('async: work of the enclosing scope running meanwhile is still counted', async () => {
    const { findings } = await detect(async () => {
      const allowed = allowBlocking(async () => {
        await delay(5)
        fs.readFileSync(file)
      })
      await delay(1)
      fs.lstatSync(file)
      await allowed
    })
    expect(operationsOf(findings.filter((f) => !f.allowed))).toEqual(['fs.lstatSync'])
  })

  test('passes fn’s error through, and the scope counts again after', async () => {
    const failure = new Error('from fn')
    const { findings, value } = await detect(() => {
      let caught: unknown
      try {
        allowBlocking(() => {
          fs.readFileSync(file)
          throw failure
        })
      } catch (error) {
        caught = error
      }
      fs.statSync(file)
      return caught
    })
    expect(value).toBe(failure)
    expect(operationsOf(findings.filter((f) => !f.allowed))).toEqual(['fs.statSync'])
    const rejected = detect(() => allowBlocking(() => Promise.reject(failure)))
    await expect(rejected).rejects.toBe(failure)
  })

  test('outside any scope runs fn and returns its result', async () => {
    expect(allowBlocking(() => fs.readFileSync(file, 'utf8'))).toBe('content')
    await expect(allowBlocking(async () => 7)).resolves.toBe(7)
  })

  test('rejects what is not a function', () => {
    expect(() => allowBlocking('soon' as unknown as () => void)).toThrow(new TypeError('Expected `allowBlocking` to get a function or nothing, got `soon` (string)'))
  })
})
