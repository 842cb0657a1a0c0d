// What Jest's watch mode watches, as loopcop's reporter works it out before writing a JSON report
// in watch mode (the run itself is in watch.test.ts).
import { join } from 'node:path'
import { expect, test } from 'vitest'
import { watchedByJest } from '../../integrations/jest/watched.js'

const rootDir = join('/', 'project')
const project = { rootDir, roots: [rootDir], moduleFileExtensions: ['js', 'json'] }

test('a file with a watched extension under a project’s roots is watched', () => {
  expect(watchedByJest(join(rootDir, 'report.json'), [project])).toBe(true)
  expect(watchedByJest(join(rootDir, 'reports', 'loopcop.json'), [{ rootDir }])).toBe(true)
})

test('outside the roots, another extension, node_modules, the coverage directory, an ignore pattern: not watched', () => {
  expect(watchedByJest(join('/', 'elsewhere', 'report.json'), [project])).toBe(false)
  expect(watchedByJest(join(rootDir, 'report.txt'), [project])).toBe(false)
  expect(watchedByJest(join(rootDir, 'node_modules', '.cache', 'report.json'), [project])).toBe(false)
  expect(watchedByJest(join(rootDir, 'coverage', 'report.json'), [project], join(rootDir, 'coverage'))).toBe(false)
  expect(watchedByJest(join(rootDir, 'reports', 'report.json'), [{ ...project, watchPathIgnorePatterns: ['/reports/'] }])).toBe(false)
  expect(watchedByJest(join(rootDir, 'reports', 'report.json'), [{ ...project, modulePathIgnorePatterns: ['<invalid('] }])).toBe(true)
  // A root that is a prefix of the file's folder's name is not its folder.
  expect(watchedByJest(join('/', 'project-reports', 'report.json'), [project])).toBe(false)
})

test('any one project watching it is enough', () => {
  expect(watchedByJest(join('/', 'other', 'report.json'), [project, { rootDir: join('/', 'other') }])).toBe(true)
})
