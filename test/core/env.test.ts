import fs from 'node:fs'
import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import { BlockingIOError, configure, detect } from '../../src/index.js'
import { currentOptions } from '../../src/integration.js'
import { checkEnvironment, envOverrides, validateOptions } from '../../src/model/options.js'
import { spinCpu } from '../helpers/spin.js'

const NAMES = ['LOOPCOP_MODE', 'LOOPCOP_STALL_MS', 'LOOPCOP_STALL_MODE', 'LOOPCOP_REPORT', 'LOOPCOP_TEST_CODE'] as const
const saved = Object.fromEntries(NAMES.map((n) => [n, process.env[n]]))

beforeEach(() => {
  for (const n of NAMES) delete process.env[n]
  configure.reset()
  configure({ stallMs: 0 })
})
afterEach(() => {
  for (const n of NAMES) {
    if (saved[n] === undefined) delete process.env[n]
    else process.env[n] = saved[n]
  }
  configure.reset()
})

describe('invalid environment variables are rejected, naming the variable', () => {
  test('LOOPCOP_MODE=loud', async () => {
    process.env.LOOPCOP_MODE = 'loud'
    const message = "Expected `LOOPCOP_MODE` to be one of 'fail', 'throw', 'warn', 'off', got `\"loud\"` (string) from the environment variable LOOPCOP_MODE"
    expect(() => currentOptions()).toThrow(new TypeError(message))
    await expect(detect(() => fs.existsSync('.'))).rejects.toThrow(new TypeError(message))
  })

  test.each(['fast', '-5', '1e3', '0x10'])('LOOPCOP_STALL_MS=%s', (value) => {
    process.env.LOOPCOP_STALL_MS = value
    expect(() => currentOptions()).toThrow(
      new TypeError(`Expected \`LOOPCOP_STALL_MS\` to be a number ≥ 0, got \`"${value}"\` (string) from the environment variable LOOPCOP_STALL_MS`),
    )
  })

  test('LOOPCOP_STALL_MODE=loud', () => {
    process.env.LOOPCOP_STALL_MODE = 'loud'
    expect(() => currentOptions()).toThrow(new TypeError("Expected `LOOPCOP_STALL_MODE` to be one of 'fail', 'throw', 'warn', 'off', got `\"loud\"` (string) from the environment variable LOOPCOP_STALL_MODE"))
  })

  test('LOOPCOP_TEST_CODE=ignore', () => {
    process.env.LOOPCOP_TEST_CODE = 'ignore'
    expect(() => currentOptions()).toThrow(new TypeError("Expected `LOOPCOP_TEST_CODE` to be one of 'allow', 'check', got `\"ignore\"` (string) from the environment variable LOOPCOP_TEST_CODE"))
  })

  test('LOOPCOP_STALL_MS of 400 digits is Infinity, refused like `stallMs: Infinity`', () => {
    process.env.LOOPCOP_STALL_MS = '9'.repeat(400)
    expect(() => currentOptions()).toThrow(
      new TypeError(`Expected \`LOOPCOP_STALL_MS\` to be a number ≥ 0, got \`"${'9'.repeat(56)}...\` (string) from the environment variable LOOPCOP_STALL_MS`),
    )
  })
})

describe("a wrong variable's error is its sentence alone", () => {
  const thrown = (fn: () => unknown): Error => {
    try {
      fn()
    } catch (error) {
      return error as Error
    }
    throw new Error('nothing thrown')
  }

  test('no stack frames: they would be loopcop reading process.env', () => {
    const error = thrown(() => envOverrides({ LOOPCOP_MODE: 'loud' }))
    expect(error.stack).toBe(`TypeError: ${error.message}`)
  })

  test('checkEnvironment names the entry point, without frames or a cause repeating the sentence', () => {
    process.env.LOOPCOP_STALL_MS = 'fast'
    const error = thrown(() => checkEnvironment('loopcop/mocha'))
    expect(error).toBeInstanceOf(TypeError)
    expect(error.message).toBe('loopcop/mocha cannot start: Expected `LOOPCOP_STALL_MS` to be a number ≥ 0, got `"fast"` (string) from the environment variable LOOPCOP_STALL_MS')
    expect(error.stack).toBe(`TypeError: ${error.message}`)
    expect(error.cause).toBeUndefined()
  })

  test('checkEnvironment passes when every variable is right', () => {
    process.env.LOOPCOP_MODE = 'warn'
    expect(() => checkEnvironment('loopcop/mocha')).not.toThrow()
  })

  test("a configured option's error keeps its stack: it points at the user's configure() call", () => {
    const error = thrown(() => validateOptions({ mode: 'loud' }))
    expect(error.stack).toContain('\n    at ')
  })
})

describe('environment variables override configure()', () => {
  test('LOOPCOP_MODE', async () => {
    configure({ mode: 'fail' })
    process.env.LOOPCOP_MODE = 'off'
    expect(currentOptions().mode).toBe('off')
    expect((await detect(() => fs.existsSync('.'))).findings).toEqual([])
    process.env.LOOPCOP_MODE = 'throw'
    await expect(detect(() => fs.existsSync('.'))).rejects.toBeInstanceOf(BlockingIOError)
    // An empty variable is no override.
    process.env.LOOPCOP_MODE = ''
    expect(currentOptions().mode).toBe('fail')
    expect((await detect(() => fs.existsSync('.'))).blocking).toHaveLength(1)
  })

  test('LOOPCOP_TEST_CODE', () => {
    configure({ testCode: 'allow' })
    process.env.LOOPCOP_TEST_CODE = 'check'
    expect(currentOptions().testCode).toBe('check')
    process.env.LOOPCOP_TEST_CODE = ''
    expect(currentOptions().testCode).toBe('allow')
  })

  test('LOOPCOP_STALL_MS', () => {
    configure({ stallMs: 50 })
    process.env.LOOPCOP_STALL_MS = '0'
    expect(currentOptions().stallMs).toBe(0)
    process.env.LOOPCOP_STALL_MS = ' 12.5 '
    expect(currentOptions().stallMs).toBe(12.5)
  })

  test('LOOPCOP_STALL_MODE, apart from LOOPCOP_MODE as stallMode is from mode', async () => {
    configure({ mode: 'fail', stallMode: 'fail', stallMs: 50 })
    process.env.LOOPCOP_MODE = 'warn'
    expect(currentOptions()).toMatchObject({ mode: 'warn', stallMode: 'fail' })
    process.env.LOOPCOP_STALL_MODE = 'warn'
    expect(currentOptions()).toMatchObject({ mode: 'warn', stallMode: 'warn' })
    // A scope opened now is judged so: its stall did not fail it.
    const { findings } = await detect(() => spinCpu(250))
    expect(findings.map((f) => [f.kind, f.mode])).toEqual([['stall', 'warn']])
    process.env.LOOPCOP_STALL_MODE = 'off'
    expect((await detect(() => spinCpu(250))).findings).toEqual([])
    process.env.LOOPCOP_STALL_MODE = ''
    expect(currentOptions().stallMode).toBe('fail')
  })

  test('LOOPCOP_REPORT sets the JSON path and keeps the rest of `report`', () => {
    configure({ report: { json: 'configured.json', github: true } })
    process.env.LOOPCOP_REPORT = 'from-env.json'
    expect(currentOptions().report).toEqual({ json: 'from-env.json', github: true })
    delete process.env.LOOPCOP_REPORT
    expect(currentOptions().report).toEqual({ json: 'configured.json', github: true })
  })

  test('envOverrides() reads only the variables given', () => {
    expect(envOverrides({})).toEqual({})
    expect(envOverrides({ LOOPCOP_MODE: 'warn', LOOPCOP_STALL_MS: '20', LOOPCOP_REPORT: 'r.json', OTHER: 'x' })).toEqual({ mode: 'warn', stallMs: 20, report: { json: 'r.json' } })
    expect(envOverrides({ LOOPCOP_STALL_MODE: 'fail' })).toEqual({ stallMode: 'fail' })
  })
})
