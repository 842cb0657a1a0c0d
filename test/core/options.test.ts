import fs from 'node:fs'
import { runInNewContext } from 'node:vm'
import { afterEach, describe, expect, test, vi } from 'vitest'
import { configure, detect, type Finding } from '../../src/index.js'
import { currentOptions } from '../../src/integration.js'

afterEach(() => configure.reset())

const KNOWN = 'Known options: mode, stallMs, stallMode, traceDepth, allow, moduleLoading, onFinding, report, redact, testCode, baseline'

/** The TypeError `configure(options)` throws. */
function rejection(options: unknown): TypeError {
  try {
    configure(options as Parameters<typeof configure>[0])
  } catch (error) {
    expect(error).toBeInstanceOf(TypeError)
    return error as TypeError
  }
  throw new Error(`configure(${JSON.stringify(options)}) did not throw`)
}

describe('configure() rejects every invalid option, naming it, what was expected and what was given', () => {
  test.each([
    [{ mode: 'loud' }, "Expected `mode` to be one of 'fail', 'throw', 'warn', 'off', got `\"loud\"` (string)"],
    [{ mode: undefined }, "Expected `mode` to be one of 'fail', 'throw', 'warn', 'off', got `undefined` (undefined)"],
    [{ stallMs: 'fast' }, 'Expected `stallMs` to be a number ≥ 0, got `"fast"` (string)'],
    [{ stallMs: -1 }, 'Expected `stallMs` to be a number ≥ 0, got `-1` (number)'],
    [{ stallMs: Number.NaN }, 'Expected `stallMs` to be a number ≥ 0, got `NaN` (number)'],
    [{ stallMs: Number.POSITIVE_INFINITY }, 'Expected `stallMs` to be a number ≥ 0, got `Infinity` (number)'],
    [{ stallMode: 'sometimes' }, "Expected `stallMode` to be one of 'fail', 'throw', 'warn', 'off', got `\"sometimes\"` (string)"],
    [{ traceDepth: 0 }, 'Expected `traceDepth` to be an integer from 1 to 100, got `0` (number)'],
    [{ traceDepth: 2.5 }, 'Expected `traceDepth` to be an integer from 1 to 100, got `2.5` (number)'],
    [{ traceDepth: 10n }, 'Expected `traceDepth` to be an integer from 1 to 100, got `10n` (bigint)'],
    [{ traceDepth: 1e9 }, 'Expected `traceDepth` to be an integer from 1 to 100, got `1000000000` (number)'],
    [{ traceDepth: 101 }, 'Expected `traceDepth` to be an integer from 1 to 100, got `101` (number)'],
    [{ moduleLoading: 'yes' }, 'Expected `moduleLoading` to be a boolean, got `"yes"` (string)'],
    [{ onFinding: 5 }, 'Expected `onFinding` to be a function `(finding) => void`, got `5` (number)'],
    [{ testCode: 'ignore' }, "Expected `testCode` to be one of 'allow', 'check', got `\"ignore\"` (string)"],
    [{ testCode: true }, "Expected `testCode` to be one of 'allow', 'check', got `true` (boolean)"],
    [{ report: 'out.json' }, 'Expected `report` to be an object `{ json?: string, github?: boolean }`, got `"out.json"` (string)'],
    [{ report: null }, 'Expected `report` to be an object `{ json?: string, github?: boolean }`, got `null` (null)'],
    [{ report: { json: '' } }, 'Expected `report.json` to be a non-empty file path, got `""` (string)'],
    [{ report: { github: 'yes' } }, 'Expected `report.github` to be a boolean, got `"yes"` (string)'],
    [{ report: { jsn: 'a.json' } }, 'Expected `report` to be an object with only `json` and `github` (unknown key `jsn`), got `{"jsn":"a.json"}` (object)'],
    [{ allow: 'fs.existsSync' }, 'Expected `allow` to be an array of allow rules, got `"fs.existsSync"` (string)'],
  ])('%o', (options, message) => {
    expect(rejection(options).message).toBe(message)
  })

  test('long values are shortened', () => {
    expect(rejection({ mode: 'x'.repeat(100) }).message).toBe(`Expected \`mode\` to be one of 'fail', 'throw', 'warn', 'off', got \`"${'x'.repeat(56)}...\` (string)`)
  })

  test('a function value is shown by its name', () => {
    expect(rejection({ stallMs: function soon() {} }).message).toBe('Expected `stallMs` to be a number ≥ 0, got `soon` (function)')
  })
})

describe('invalid allow rules name the rule by its index', () => {
  test.each([
    [[''], 'Expected `allow[0]` to be a non-empty operation glob or a rule object, got `""` (string)'],
    [['fs.existsSync', 42], "Expected `allow[1]` to be an operation glob (e.g. 'fs.existsSync') or a rule object, got `42` (number)"],
    [[null], "Expected `allow[0]` to be an operation glob (e.g. 'fs.existsSync') or a rule object, got `null` (null)"],
    [[['fs.*']], "Expected `allow[0]` to be an operation glob (e.g. 'fs.existsSync') or a rule object, got `[\"fs.*\"]` (array)"],
    [[{}], 'Expected `allow[0]` to be a rule with at least one of operation, path, command, caller, within, function, package, got `{}` (object)'],
    [
      [{ operaton: 'fs.readFileSync' }],
      'Expected `allow[0]` to be a rule with only the fields operation, path, command, caller, within, function, package (unknown field `operaton`), got `{"operaton":"fs.readFileSync"}` (object)',
    ],
    [[{ operation: 'fs.readFileSync', path: 5 }], 'Expected `allow[0].path` to be a non-empty string, got `5` (number)'],
    [[{ package: '' }], 'Expected `allow[0].package` to be a non-empty string, got `""` (string)'],
  ])('%o', (allow, message) => {
    expect(rejection({ allow }).message).toBe(message)
  })
})

describe('unknown options (typo protection)', () => {
  test('with a suggestion', () => {
    expect(rejection({ stalMs: 5 }).message).toBe(`Unknown option \`stalMs\` in configure(): did you mean \`stallMs\`? ${KNOWN}`)
    expect(rejection({ Mode: 'warn' }).message).toBe(`Unknown option \`Mode\` in configure(): did you mean \`mode\`? ${KNOWN}`)
  })

  test('without one', () => {
    expect(rejection({ verbose: true }).message).toBe(`Unknown option \`verbose\` in configure(). ${KNOWN}`)
  })

  test('options that are not an object', () => {
    expect(rejection('warn').message).toBe(
      'Expected `configure()` to be an object with any of mode, stallMs, stallMode, traceDepth, allow, moduleLoading, onFinding, report, redact, testCode, baseline, got `"warn"` (string)',
    )
  })

  test('detect() validates its own options, and takes fewer', async () => {
    await expect(detect(() => 1, { mode: 'loud' as 'off' })).rejects.toThrow(new TypeError("Expected `mode` to be one of 'fail', 'throw', 'warn', 'off', got `\"loud\"` (string)"))
    await expect(detect(() => 1, { onFinding: () => {} } as object)).rejects.toThrow(
      new TypeError('Unknown option `onFinding` in detect() options. Known options: mode, stallMs, stallMode, traceDepth, allow, moduleLoading'),
    )
    await expect(detect('fs.readFileSync' as unknown as () => void)).rejects.toThrow(new TypeError('Expected `detect` to get a function, got `fs.readFileSync` (string)'))
  })
})

describe('configure() merges, and configure.reset() restores the defaults', () => {
  test('merge and reset', () => {
    const defaults = currentOptions()
    expect(defaults).toMatchObject({ mode: 'fail', stallMs: 100, stallMode: 'warn', traceDepth: 10, allow: [], moduleLoading: false, onFinding: undefined, report: {} })
    configure({ mode: 'warn' })
    configure({ stallMs: 5, allow: ['fs.existsSync'] })
    expect(currentOptions()).toMatchObject({ mode: 'warn', stallMs: 5, allow: ['fs.existsSync'] })
    configure.reset()
    expect(currentOptions()).toEqual(defaults)
  })

  test('a rejected configure() changes nothing', () => {
    configure({ mode: 'warn' })
    rejection({ mode: 'off', stallMs: 'fast' })
    expect(currentOptions().mode).toBe('warn')
    expect(currentOptions().stallMs).toBe(100)
  })
})

describe('options at work', () => {
  test("mode: 'off' records nothing", async () => {
    configure({ mode: 'off' })
    expect((await detect(() => fs.existsSync('.'))).findings).toEqual([])
    // A detect() call may turn it back on for itself.
    expect((await detect(() => fs.existsSync('.'), { mode: 'warn', stallMs: 0 })).blocking).toHaveLength(1)
  })

  test('traceDepth caps the frames kept', async () => {
    const deep = (n: number): boolean => (n === 0 ? fs.existsSync('.') : deep(n - 1))
    const { findings } = await detect(() => deep(20), { traceDepth: 3, stallMs: 0 })
    expect(findings).toHaveLength(1)
    expect(findings[0]!.frames.length).toBeGreaterThan(0)
    expect(findings[0]!.frames.length).toBeLessThanOrEqual(3)
    const full = await detect(() => deep(20), { stallMs: 0 })
    expect(full.findings[0]!.frames.length).toBeGreaterThan(3)
  })

  test('onFinding hears each finding once, leaks included', async () => {
    const heard: Finding[] = []
    configure({ onFinding: (f) => heard.push(f), stallMs: 0 })
    let fire!: () => void
    const fired = new Promise<void>((resolve) => (fire = resolve))
    const outer = await detect(async () => {
      fs.statSync('.')
      await detect(() => {
        setTimeout(() => {
          fs.lstatSync('.')
          fire()
        }, 1)
      })
      await fired
    })
    expect(outer.findings).toHaveLength(2)
    expect(heard.map((f) => f.id).sort()).toEqual(outer.findings.map((f) => f.id).sort())
  })

  test('a throwing onFinding is reported once on stderr and never reaches the code', async () => {
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true)
    try {
      configure({ stallMs: 0, onFinding: () => {
        throw new Error('callback bug')
      } })
      const first = await detect(() => fs.existsSync('.'))
      const second = await detect(() => fs.existsSync('.'))
      expect(first.findings).toHaveLength(1)
      expect(second.findings).toHaveLength(1)
      const printed = stderr.mock.calls.map((c) => String(c[0])).filter((t) => t.includes('onFinding callback threw'))
      expect(printed).toHaveLength(1)
      expect(printed[0]).toContain('callback bug')
    } finally {
      stderr.mockRestore()
    }
  })
})

describe('redact patterns from another realm', () => {
  // A Jest test file or setup file, or a Vitest `vmThreads` test file, runs in a realm of its own:
  // its regular expressions are not `instanceof RegExp` where loopcop runs.
  test("are accepted and redact as this realm's do", async () => {
    const foreign = runInNewContext('/token-[0-9a-f]{6}/') as RegExp
    expect(foreign instanceof RegExp).toBe(false)
    configure({ redact: [foreign] })
    const missing = `/nonexistent/token-${'abc123'}.json`
    const { findings } = await detect(() => fs.existsSync(missing))
    expect(findings.map((f) => (f as Finding & { args?: string }).args)).toEqual([expect.stringContaining('[redacted]')])
    expect(JSON.stringify(findings)).not.toContain('token-abc123')
  })
})
