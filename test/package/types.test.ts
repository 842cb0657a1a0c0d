// The installed tarball's types, seen from consumer projects (type-checked, never run) under both
// module resolutions TypeScript users have: `node10` (`module: commonjs`, ts-jest's usual set-up,
// which ignores the exports map: `typesVersions` gives it the subpath entries' types) and `node16`
// (the exports map, `require` and `import` conditions).
import { join } from 'node:path'
import { beforeAll, describe, expect, test } from 'vitest'
import { assertInstalled, fixtures, root, runNode } from '../helpers/run.js'

const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc')
const projects = join(fixtures, 'package')

beforeAll(assertInstalled)

describe('types of every entry point', () => {
  test.each([
    ['node10: the core, Jest, Mocha, Chai and the raw matchers', 'types-node10/tsconfig.jest.json'],
    ['node10: the Vitest entries', 'types-node10/tsconfig.vitest.json'],
    ['node16: the core, Jest, Mocha, Chai and the raw matchers, from CommonJS and ESM', 'types-node16/tsconfig.jest.json'],
    ['node16: the Vitest entries', 'types-node16/tsconfig.vitest.json'],
  ])('%s', async (_name, project) => {
    const result = await runNode(tsc, ['-p', join(projects, project)], { cwd: root, timeoutMs: 240_000 })
    expect(result.output.trim()).toBe('')
    expect(result.code).toBe(0)
  }, 240_000)
})
