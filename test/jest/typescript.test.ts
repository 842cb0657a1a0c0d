import { beforeAll, describe, expect, test } from 'vitest'
import { essentials, type JestRun, runJest } from './support.js'

// The `typescript` fixture: .ts tests and sources through babel-jest with
// @babel/preset-typescript. Types stripped by Babel shift lines; source maps put them back.
describe('TypeScript test files (babel-jest)', () => {
  let run: JestRun
  beforeAll(async () => {
    run = await runJest('typescript', ['--maxWorkers=2'])
  })

  test('only the blocking tests fail', () => {
    expect(run.json.numRuntimeErrorTestSuites).toBe(0)
    expect(run.failed).toEqual(['ts throw mode: the call throws at the source line', 'ts: blocking load'])
    expect(run.passed).toEqual(['ts: allowed load', 'ts: async load', 'ts: matcher'])
  })

  test('findings are on the lines of the .ts source', () => {
    expect(run.test('ts: blocking load').failureMessages[0]).toMatch(/\n\s+in .*\(src\/users\.ts:15:18\)\n/)
    expect(run.output).toMatch(/> 15 \| {3}const raw = fs\.readFileSync\(file, 'utf8'\) as string/)
    expect(essentials(run.report)).toEqual([
      'tests/throw.test.ts | ts throw mode: the call throws at the source line | fs.readFileSync | src/users.ts:15 | blocking |  | ×1',
      'tests/users.test.ts | ts: blocking load | fs.readFileSync | src/users.ts:15 | blocking |  | ×1',
    ])
  })

  test('`throw` mode raises at the call, mapped to the .ts line', () => {
    const [message] = run.test('ts throw mode: the call throws at the source line').failureMessages
    expect(message).toContain('refused before it ran (mode: throw)')
    expect(message).toMatch(/\n {4}at .*\/typescript\/src\/users\.ts:15:18\)?\n/)
  })
})
