import { join } from 'node:path'
import { beforeAll, describe, expect, test } from 'vitest'
import { fixtures, root, runNode } from '../helpers/run.js'
import { essentials, type JestRun, runJest } from './support.js'

// The `typescript` fixture: .ts tests and sources through babel-jest with @babel/preset-typescript
// (Jest's default), and through ts-jest, which type-checks each test file with the fixture's
// tsconfig.json (CommonJS, node10 resolution, `"types": ["jest", "loopcop/jest"]`). Types stripped
// by the transform shift lines; source maps put them back.
describe.each([
  { transform: 'babel-jest', args: [] },
  { transform: 'ts-jest', args: ['--config', 'jest.ts-jest.config.cjs'] },
])('TypeScript test files ($transform)', ({ args }) => {
  let run: JestRun
  beforeAll(async () => {
    run = await runJest('typescript', ['--maxWorkers=2', ...args])
  })

  test('only the blocking tests fail', () => {
    expect(run.json.numRuntimeErrorTestSuites).toBe(0)
    expect(run.failed).toEqual(['ts throw mode: the call throws at the source line', 'ts: blocking load', 'ts: blocking named import'])
    expect(run.passed).toEqual([
      'ts stack: a finding names the .ts line, and Jest keeps its Error.prepareStackTrace',
      "ts stack: the test's own Error.prepareStackTrace and its errors' stacks are untouched",
      'ts: allowed load',
      'ts: async load',
      'ts: matcher',
    ])
  })

  test('findings are on the lines of the .ts source', () => {
    expect(run.test('ts: blocking load').failureMessages[0]).toMatch(/\n\s+in .*\(src\/users\.ts:15:18\)\n/)
    expect(run.output).toMatch(/> 15 \| {3}const raw = fs\.readFileSync\(file, 'utf8'\) as string/)
    expect(essentials(run.report)).toEqual([
      'tests/exists.test.ts | ts: blocking named import | fs.existsSync | src/exists.ts:5 | blocking |  | ×1',
      'tests/throw.test.ts | ts throw mode: the call throws at the source line | fs.readFileSync | src/users.ts:15 | blocking |  | ×1',
      'tests/users.test.ts | ts: allowed load | fs.readFileSync | - | allowed by allowBlocking(fn) |  | ×1',
      'tests/users.test.ts | ts: blocking load | fs.readFileSync | src/users.ts:15 | blocking |  | ×1',
      'tests/users.test.ts | ts: matcher | fs.readFileSync | src/users.ts:15 | assertion |  | ×1',
    ])
  })

  test('`throw` mode raises at the call, mapped to the .ts line', () => {
    const [message] = run.test('ts throw mode: the call throws at the source line').failureMessages
    expect(message).toContain('refused before it ran (mode: throw)')
    expect(message).toMatch(/\n {4}at .*\/typescript\/src\/users\.ts:15:18\)?\n/)
  })

  // simple-git: a named import's call, compiled to `(0, _fs.existsSync)(…)`, is mapped to the `(`
  // after the name, which read as a line that does not fit its source.
  test('the summary says nothing of unmapped lines: they fit the source', () => {
    expect(run.output).toContain('fs.readFileSync at src/users.ts:15:18')
    expect(run.output).toMatch(/fs\.existsSync at src\/exists\.ts:5:\d+/)
    expect(run.output).not.toContain('do not fit their source')
  })
})

// ts-jest under a tsconfig with `"sourceMap": false` (class-validator's): every line in a .ts file
// is the compiled JavaScript's, Jest's own code frames included. loopcop cannot map them; the run
// summary says they do not fit the source, and how to turn source maps on.
test('ts-jest without source maps: the summary says the lines are not the source\'s, and how to fix it', async () => {
  const run = await runJest('typescript', ['--maxWorkers=2', '--config', 'jest.no-maps.config.cjs', 'tests/users.test.ts'])
  expect(run.failed).toEqual(['ts: blocking load'])
  const [site] = essentials(run.report)
    .filter((line) => line.includes('ts: blocking load'))
    .map((line) => line.split(' | ')[3])
  expect(site).toMatch(/^src\/users\.ts:\d+$/)
  expect(site).not.toBe('src/users.ts:15')
  expect(run.output).toContain(`loopcop: the lines shown in TypeScript files (${site ?? ''}, …) do not fit their source: they look like the compiled JavaScript's, made without a source map`)
  expect(run.output).toContain('ts-jest: "sourceMap": true in the tsconfig it uses')
}, 240_000)

test("the fixture type-checks with the README's Jest set-up: \"types\": [\"node\", \"jest\", \"loopcop/jest\"] under module commonjs (node10)", async () => {
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc')
  const result = await runNode(tsc, ['-p', join(fixtures, 'jest', 'typescript', 'tsconfig.json')], { cwd: root, timeoutMs: 240_000 })
  expect(result.output.trim()).toBe('')
  expect(result.code).toBe(0)
}, 240_000)
