// Verdicts remembered by the stack up to the caller frame (src/accounting/verdicts.ts,
// `Stacks.callerKey`): a helper that blocks, called from many tests, is judged once — unless a
// rule of the list looks further down the stack, where each caller of the helper may differ.
import fs from 'node:fs'
import { basename, join } from 'node:path'
import { describe, expect, test } from 'vitest'
import { type CompiledRule, builtinRules, compileRule, looksAtArgument, looksPastCaller, testCodeRule } from '../../src/accounting/allow.js'
import { Judge } from '../../src/accounting/verdicts.js'
import { configure, detect, detectSync } from '../../src/index.js'
import { catalog } from '../../src/model/operation.js'
import { Guard } from '../../src/runtime/guard.js'
import { type RawStack, Stacks } from '../../src/stack/capture.js'
import { defaultsWithoutStalls, syncIo, tempDir } from './support.js'

defaultsWithoutStalls()
const dir = tempDir()
const file = join(dir, 'a.json')
fs.writeFileSync(file, '{}')
const statSync = catalog.find((s) => s.operation.id === 'fs.statSync')?.operation
if (statSync === undefined) throw new Error('fs.statSync is not in the catalog')

// The helper that "blocks" (its frame is the caller frame: the first frame of this file), and two
// different functions calling it, as two tests would.
function helper(stacks: Stacks): RawStack {
  return stacks.capture(10, stacks.capture)
}
function fromTestA(stacks: Stacks): RawStack {
  return helper(stacks)
}
function fromTestB(stacks: Stacks): RawStack {
  return helper(stacks)
}

/** Judges one call from each of the two callers; counts how often a rule asked for the caller frame. */
function judgeBoth(extra: readonly CompiledRule[]): { asked: number; keys: [string, string]; verdicts: string[] } {
  const stacks = new Stacks(new Guard())
  const judge = new Judge(stacks)
  let asked = 0
  const rules = [...extra, testCodeRule(() => (asked++, false)), ...builtinRules(false)]
  const a = { raw: fromTestA(stacks), arg: file }
  const b = { raw: fromTestB(stacks), arg: file }
  const verdicts = [a, b].map((call) => judge.judge(call, statSync as NonNullable<typeof statSync>, rules).kind)
  return { asked, keys: [stacks.key(a.raw), stacks.key(b.raw)], verdicts }
}

describe('a verdict is worked out once per stack up to the caller frame', () => {
  test('two calls through one helper from two callers: the rules run once when none looks below the caller frame', () => {
    const { asked, keys, verdicts } = judgeBoth([compileRule('fs.readFileSync'), compileRule({ caller: '**/no-such-dir/**' })])
    // The two stacks differ (their callers), yet share the key up to the helper's frame.
    expect(keys[0]).not.toBe(keys[1])
    expect(verdicts).toEqual(['violation', 'violation'])
    expect(asked).toBe(1)
  })

  test('with a rule that looks at any frame (`within`, `package`, `function` alone), each stack is judged on its own', () => {
    for (const rule of [{ within: '**/no-such-dir/**' }, { package: 'no-such-package' }, { function: 'noSuchFunction' }]) {
      const compiled = compileRule(rule)
      expect(looksPastCaller([compiled])).toBe(true)
      const { asked, verdicts } = judgeBoth([compiled])
      expect(verdicts).toEqual(['violation', 'violation'])
      expect(asked).toBe(2)
    }
    expect(looksPastCaller([compileRule({ caller: 'src/**', function: 'load*' }), ...builtinRules(false)])).toBe(false)
  })
})

/** Judges two calls with one stack and two arguments; counts how often a rule asked for the caller frame. */
function judgeTwoArgs(extra: readonly CompiledRule[]): { asked: number; verdicts: string[] } {
  const stacks = new Stacks(new Guard())
  const judge = new Judge(stacks)
  let asked = 0
  const rules = [...extra, testCodeRule(() => (asked++, false)), ...builtinRules(false)]
  const raw = fromTestA(stacks)
  const verdicts = [file, join(dir, 'b.json')].map((arg) => judge.judge({ raw, arg }, statSync as NonNullable<typeof statSync>, rules).kind)
  return { asked, verdicts }
}

describe('the argument is part of a verdict only when a rule reads it', () => {
  test('no rule with `path` or `command`: one stack with two file names is judged once', () => {
    const rules = [compileRule('fs.readFileSync'), compileRule({ caller: '**/no-such-dir/**' })]
    expect(looksAtArgument([...rules, ...builtinRules(false)])).toBe(false)
    const { asked, verdicts } = judgeTwoArgs(rules)
    expect(verdicts).toEqual(['violation', 'violation'])
    expect(asked).toBe(1)
  })

  test('a rule with `path` (or `command`): each argument is judged on its own, and gets its own verdict', () => {
    const byPath = compileRule({ path: '**/b.json' })
    expect(looksAtArgument([byPath])).toBe(true)
    expect(looksAtArgument([compileRule({ command: 'git *' })])).toBe(true)
    const { asked, verdicts } = judgeTwoArgs([byPath])
    expect(verdicts).toEqual(['violation', 'allowed'])
    // The second call is allowed by the path rule before the "test code" rule is tried.
    expect(asked).toBe(1)
    const reversed = judgeTwoArgs([compileRule({ path: '**/a.json' })])
    expect(reversed.verdicts).toEqual(['allowed', 'violation'])
    expect(reversed.asked).toBe(1)
  })
})

// The same through the public API: a configured rule naming a frame below the caller frame tells
// the two callers apart, whichever is judged first (a verdict remembered up to the caller frame
// would not: one rule list, one detector, the same helper).
function statHere(): fs.Stats {
  return fs.statSync(file)
}
function callerAllowed(): fs.Stats {
  return statHere()
}
function callerNotAllowed(): fs.Stats {
  return statHere()
}

describe('a rule that looks below the caller frame still tells callers apart', () => {
  const allow = [{ within: '**/verdict-cache.test.ts', function: 'callerAllowed' }]
  for (const order of [
    [callerAllowed, callerNotAllowed],
    [callerNotAllowed, callerAllowed],
  ]) {
    test(`${order[0]?.name} first`, async () => {
      configure({ allow })
      const results = []
      for (const fn of order) {
        const { findings } = await detect(() => fn())
        results.push([fn.name, syncIo(findings).map((f) => [f.location?.function, f.allowed])])
      }
      expect(Object.fromEntries(results)).toEqual({
        callerAllowed: [['statHere', true]],
        callerNotAllowed: [['statHere', false]],
      })
    })
  }
})

// And the argument through the public API: one scope, one helper, one stack, two files; a rule with
// `path` and a stack field (so judged with the call's stack, by the cache above) allows one of them,
// whichever is judged first (a verdict remembered without the argument would give both the first's).
function statFile(path: string): fs.Stats {
  return fs.statSync(path)
}

describe('a `path` rule still tells two files of one call site apart', () => {
  const other = join(dir, 'b.json')
  fs.writeFileSync(other, '{}')
  for (const order of [
    [file, other],
    [other, file],
  ]) {
    test(`${order[0] === file ? 'a.json' : 'b.json'} first`, async () => {
      configure({ allow: [{ path: '**/b.json', function: 'statFile' }] })
      const { findings } = await detect(() => {
        for (const path of order) statFile(path)
      })
      const byFile = syncIo(findings).map((f) => [f.args?.includes('b.json') === true ? 'b.json' : 'a.json', f.location?.function, f.allowed])
      expect(byFile.sort()).toEqual([
        ['a.json', 'statFile', false],
        ['b.json', 'statFile', true],
      ])
    })
  }
})

// A call's relative path is the file in the working directory of the moment: a verdict remembered
// for a stack and argument stands for the directory it was judged in (a test that `chdir`s into a
// fixture folder). The rule's own glob is the project's, wherever the test moved.
describe('a verdict on a relative path argument follows the working directory it was made in', () => {
  const sub = join(dir, 'sub')
  fs.mkdirSync(sub, { recursive: true })
  fs.writeFileSync(join(sub, 'a.json'), '{}')
  const start = process.cwd()
  for (const order of [
    [dir, sub],
    [sub, dir],
  ]) {
    test(`${order[0] === dir ? 'the folder the rule names' : 'another folder'} first`, () => {
      // The rule names dir's a.json; `a.json` in sub is another file.
      configure({ allow: [{ path: `**/${basename(dir)}/a.json`, function: 'statFile' }] })
      const allowedIn = new Map<string, boolean>()
      try {
        for (const cwd of order) {
          process.chdir(cwd)
          // One stack and one argument for both (synchronous: no await between them changes the frames below).
          const { findings } = detectSync(() => statFile('a.json'))
          allowedIn.set(cwd, syncIo(findings)[0]?.allowed === true)
        }
      } finally {
        process.chdir(start)
      }
      expect(Object.fromEntries(allowedIn)).toEqual({ [dir]: true, [sub]: false })
    })
  }
})
