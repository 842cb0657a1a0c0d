// The settings a scope runs with (src/accounting/settings.ts): resolved once per configuration, and
// once per overrides object that cannot change (a Jest test file's options, shared by its tests).
import { afterEach, describe, expect, test } from 'vitest'
import { Configuration } from '../../src/accounting/settings.js'
import type { ScopeOptions } from '../../src/model/options.js'

afterEach(() => {
  delete process.env.LOOPCOP_MODE
})

describe('Configuration.settingsFor()', () => {
  test('frozen overrides (their rules too) are resolved once: every scope opened with them shares one settings object', () => {
    const config = new Configuration()
    const overrides: ScopeOptions = Object.freeze({ mode: 'fail', allow: Object.freeze([Object.freeze({ package: 'pino' }), 'fs.existsSync']) })
    const first = config.settingsFor(overrides)
    expect(first.mode).toBe('fail')
    expect(first.rules.map((r) => r.label).slice(0, 2)).toEqual(['{"package":"pino"}', 'fs.existsSync'])
    expect(config.settingsFor(overrides)).toBe(first)
  })

  test('they are resolved again once configure() or a LOOPCOP_* variable changes the configuration', () => {
    const config = new Configuration()
    const overrides: ScopeOptions = Object.freeze({ stallMs: 50 })
    const first = config.settingsFor(overrides)
    config.configure({ traceDepth: 3 })
    const second = config.settingsFor(overrides)
    expect(second).not.toBe(first)
    expect(second.traceDepth).toBe(3)
    expect(second.stallMs).toBe(50)
    process.env.LOOPCOP_MODE = 'throw'
    const third = config.settingsFor(overrides)
    expect(third.mode).toBe('throw')
    expect(config.settingsFor(overrides)).toBe(third)
  })

  test('overrides that can change are resolved each time, so a change is never missed', () => {
    const config = new Configuration()
    const rule: { package: string } = { package: 'pino' }
    // Frozen at the top, but not its rules.
    const overrides: ScopeOptions = Object.freeze({ allow: Object.freeze([rule]) })
    expect(config.settingsFor(overrides).rules[0]?.label).toBe('{"package":"pino"}')
    rule.package = 'winston'
    expect(config.settingsFor(overrides).rules[0]?.label).toBe('{"package":"winston"}')
    const open: { mode: 'warn' | 'fail' } = { mode: 'warn' }
    expect(config.settingsFor(open).mode).toBe('warn')
    open.mode = 'fail'
    expect(config.settingsFor(open).mode).toBe('fail')
  })

  test('a wrong override is still rejected, frozen or not', () => {
    const config = new Configuration()
    expect(() => config.settingsFor(Object.freeze({ mode: 'loud' }) as unknown as ScopeOptions, 'the docblock')).toThrow(/Expected `mode` to be one of/)
    expect(() => config.settingsFor(Object.freeze({ mode: 'loud' }) as unknown as ScopeOptions, 'the docblock')).toThrow(/Expected `mode` to be one of/)
  })
})

describe('Configuration.startFile()', () => {
  test('each test file after the first starts from what was configured when the first started', () => {
    const config = new Configuration()
    config.configure({ mode: 'warn' })
    config.startFile()
    config.configure({ allow: ['fs.readFileSync'], traceDepth: 3 })
    expect(config.current().allow).toEqual(['fs.readFileSync'])
    config.startFile()
    expect(config.current()).toMatchObject({ mode: 'warn', allow: [], traceDepth: 10 })
    config.reset()
    config.startFile()
    expect(config.current().mode).toBe('warn')
  })
})
