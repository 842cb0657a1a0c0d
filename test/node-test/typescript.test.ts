import { beforeAll, describe, expect, test } from 'vitest'
import { type NodeMajor, type NodeTestRun, runNodeTest, tsxLoader } from './support.js'

// TypeScript test files: Node's own type stripping (Node 22.6 and later; a flag before 22.18) and
// tsx (any Node). Either way the blocking line is the TypeScript line.
const setups: { readonly label: string; readonly node: NodeMajor; readonly preload: readonly string[]; readonly args?: readonly string[] }[] = [
  { label: 'type stripping, Node 22', node: 22, preload: ['loopcop/node-test'], args: ['--experimental-strip-types', '--no-warnings=ExperimentalWarning'] },
  { label: 'type stripping, Node 24', node: 24, preload: ['loopcop/node-test'] },
  { label: 'type stripping, Node 26', node: 26, preload: ['loopcop/node-test'] },
  { label: 'tsx, Node 20', node: 20, preload: ['loopcop/node-test', tsxLoader] },
  { label: 'tsx, Node 24', node: 24, preload: ['loopcop/node-test', tsxLoader] },
]

for (const setup of setups) {
  describe(`${setup.label}`, () => {
    let run: NodeTestRun
    beforeAll(async () => {
      run = await runNodeTest('typescript', { name: `typescript-${setup.label.replace(/\W+/g, '-')}`, node: setup.node, preload: setup.preload, ...(setup.args !== undefined && { args: setup.args }) })
    })

    test('the blocking test fails at its TypeScript line; the others pass', () => {
      expect(run.failed, run.output).toEqual(['users (TypeScript) > reads them with readFileSync'])
      expect(run.passed).toEqual(['users (TypeScript) > allows a blocking read', 'users (TypeScript) > reads them asynchronously'])
      const message = run.error('users (TypeScript) > reads them with readFileSync').message
      expect(message).toContain('at readUsers (src/users.ts:11:')
      expect(message).toContain('(test/users.test.ts:10:')
      expect(run.report?.findings.filter((f) => !f.allowed).map((f) => `${f.location?.file}:${f.location?.line}`)).toEqual(['src/users.ts:11'])
      expect(run.report?.findings.filter((f) => f.allowed).map((f) => [f.test?.name, f.rule])).toEqual([['users (TypeScript) > allows a blocking read', 'allowBlocking(fn)']])
    })
  })
}
