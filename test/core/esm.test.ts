import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { expect, test } from 'vitest'
import { pathToFileURL } from 'node:url'
import { fixtures, installed, runNode } from '../helpers/run.js'

const dir = join(fixtures, 'core')

/** The 1-based line of the fixture that contains `text`. */
function lineOf(file: string, text: string): number {
  const index = readFileSync(join(dir, file), 'utf8').split('\n').findIndex((l) => l.includes(text))
  expect(index, `${text} in ${file}`).toBeGreaterThanOrEqual(0)
  return index + 1
}

interface Site {
  operation: string
  calls: number
  file: string
  line: number
}

test('ESM imports of node:fs taken before loopcop is activated are caught (built package)', async () => {
  const run = await runNode(join(dir, 'esm-named-import.mjs'), [], { cwd: dir })
  expect(run.stderr).toBe('')
  expect(run.code).toBe(0)
  const out = JSON.parse(run.stdout) as Record<string, unknown> & { self: string; moduleFile: string }
  // The built ESM entry of the package, as a user's `import 'loopcop'` finds it.
  expect(out.resolved).toBe(pathToFileURL(join(installed, 'dist', 'esm', 'src', 'index.js')).href)
  expect(out.activeBefore).toBe(false)
  expect(out.sameBefore).toBe(true)
  // `import { statSync } from 'node:fs'` in the entry module.
  expect(out.named).toEqual([{ operation: 'fs.statSync', calls: 1, file: out.self, line: lineOf('esm-named-import.mjs', 'detect(() => statSync(self))') }])
  // `import { readFileSync } from 'node:fs'` in a module evaluated before loopcop was imported.
  expect(out.viaModule).toEqual([{ operation: 'fs.readFileSync', calls: 1, file: out.moduleFile, line: lineOf('esm-user.mjs', "return readFileSync(path, 'utf8')") }])
  // `import * as fs from 'node:fs'`
  expect(out.namespace).toEqual([{ operation: 'fs.readFileSync', calls: 1, file: out.self, line: lineOf('esm-named-import.mjs', 'detect(() => fsNamespace.readFileSync(self))') }])
  // `import fs from 'node:fs'` and a second named import.
  expect((out.byDefault as Site[]).map((s) => s.operation)).toEqual(['fs.existsSync', 'fs.lstatSync'])
  // deactivate() gives the ESM bindings back their originals too.
  expect(out.restored).toBe(true)
})
