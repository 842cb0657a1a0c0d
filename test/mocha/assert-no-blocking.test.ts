import { AssertionError } from 'node:assert'
import fs from 'node:fs'
import { describe, expect, test } from 'vitest'
import { assertNoBlocking } from '../../src/index.js'
import type { Finding } from '../../src/index.js'

const block = () => fs.readFileSync(__filename)

// assertNoBlocking is the core's node:assert-style assertion (Mocha users bring their own).
describe('assertNoBlocking', () => {
  test('returns nothing for clean sync code, and a promise for async code', async () => {
    expect(assertNoBlocking(() => 1 + 1)).toBeUndefined()
    const pending = assertNoBlocking(async () => fs.promises.readFile(__filename))
    expect(pending).toBeInstanceOf(Promise)
    await expect(pending).resolves.toBeUndefined()
  })

  test('throws an AssertionError whose message lists the call and whose actual holds the findings', () => {
    let error: unknown
    try {
      assertNoBlocking(block)
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(AssertionError)
    const e = error as AssertionError & { showDiff?: boolean }
    expect(e.message).toMatch(/^Expected fn not to block the event loop, but it made 1 blocking call:\n\s+1\) fs\.readFileSync\(".*assert-no-blocking\.test\.ts"\) blocked [\d.]+ ms — use fs\.promises\.readFile\n\s+at block \(/)
    expect(e.operator).toBe('assertNoBlocking')
    expect((e.actual as Finding[]).map((f) => f.kind === 'sync-io' && f.operation)).toEqual(['fs.readFileSync'])
    expect(e.showDiff).toBe(false)
  })

  test('for async code the stack points at the assertion, not at promise machinery', async () => {
    const error = await assertNoBlocking(async () => {
      await Promise.resolve()
      block()
    }).catch((e: unknown) => e as Error)
    expect(error).toBeInstanceOf(AssertionError)
    expect(error?.stack?.split('\n').find((l) => l.includes('    at '))).toContain('assert-no-blocking.test.ts')
  })

  test('takes allow rules, and passes through what fn throws', async () => {
    expect(() => assertNoBlocking(block, { allow: ['fs.readFileSync'] })).not.toThrow()
    expect(() => assertNoBlocking(() => { throw new RangeError('own') })).toThrow(RangeError)
    await expect(assertNoBlocking(async () => Promise.reject(new RangeError('own')))).rejects.toThrow(RangeError)
  })

  test('rejects what is not a function, and unknown options, naming them', () => {
    expect(() => assertNoBlocking(42 as never)).toThrow(/Expected assertNoBlocking\(\) to get a function to call, got `42` \(number\)/)
    expect(() => assertNoBlocking(() => 1, { mode: 'warn' } as never)).toThrow(/Unknown option `mode` in assertNoBlocking\(\) options/)
    expect(() => assertNoBlocking(() => 1, { stallMs: -1 })).toThrow(/stallMs/)
  })
})
