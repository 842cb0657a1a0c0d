// What the tarball holds, and that loopcop's own frames in a user's stack name files it holds: an
// ENOENT from a user's readFileSync passes through loopcop's wrapper, and a source map pointing at
// `src/*.ts` (not in the package) used to show the user `node_modules/loopcop/src/core/intercept.ts`.
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { beforeAll, describe, expect, test } from 'vitest'
import { assertInstalled, fixtures, installed, root, runNode } from '../helpers/run.js'

beforeAll(assertInstalled)

/** The file of every frame of a V8 stack that has one (paths and file URLs), Node's own excepted. */
function stackFiles(stack: string): string[] {
  const files: string[] = []
  for (const match of stack.matchAll(/^\s+at (?:.+? \()?([^\s()]+?):\d+:\d+\)?$/gm)) {
    const file = match[1] as string
    if (file.startsWith('node:')) continue
    files.push(file.startsWith('file://') ? fileURLToPath(file) : file)
  }
  return files
}

describe("loopcop's frames in a user's stack", () => {
  test.each([
    ['an ES module', 'missing-file.mjs', []],
    ['an ES module, --enable-source-maps', 'missing-file.mjs', ['--enable-source-maps']],
    ['CommonJS', 'missing-file.cjs', []],
    ['CommonJS, --enable-source-maps', 'missing-file.cjs', ['--enable-source-maps']],
  ])("%s: an ENOENT through loopcop's wrapper names only files the package contains", async (_name, script, nodeArgs) => {
    const run = await runNode(script, [], { cwd: join(fixtures, 'package', 'stack'), nodeArgs })
    expect(run.stderr).toBe('')
    const { code, stack } = JSON.parse(run.stdout) as { code: string; stack: string }
    expect(code).toBe('ENOENT')
    const files = stackFiles(stack)
    // loopcop's wrapper is on the stack (else this test would check nothing) …
    expect(files.filter((file) => file.startsWith(`${installed}/`)), stack).not.toEqual([])
    // … and every frame names a file that exists: the installed package's, the user's.
    expect(files.filter((file) => !existsSync(file)), stack).toEqual([])
  })
})

describe('the tarball', () => {
  interface PackFile {
    readonly path: string
  }
  const files = (JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })) as [{ files: PackFile[] }])[0].files.map((f) => f.path)

  test('holds the builds, the README and the LICENSE', () => {
    expect(files).toEqual(expect.arrayContaining(['package.json', 'README.md', 'LICENSE', 'dist/esm/src/index.js', 'dist/cjs/src/index.js', 'dist/esm/integrations/matchers/index.js', 'dist/cjs/integrations/matchers/index.d.ts']))
  })

  test('loopcop/jest/matchers loads no core of its own: Jest evaluates it in each test file’s realm, and takes the core from the environment', () => {
    for (const build of ['esm', 'cjs']) {
      const text = readFileSync(join(installed, 'dist', build, 'integrations', 'jest', 'matchers.js'), 'utf8')
      expect(text, build).toMatch(/framesReadIn/)
      expect(text, build).not.toMatch(/src\/(core|index)\.js/)
    }
  })

  test('holds no source maps (a map without its sources points at files the package does not contain)', () => {
    expect(files.filter((file) => file.endsWith('.map'))).toEqual([])
  })

  test('holds no TypeScript sources and no tests', () => {
    expect(files.filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'))).toEqual([])
    expect(files.filter((file) => /(^|\/)(tests?|fixtures)\/|\.(test|spec)\.[cm]?[jt]s$/.test(file))).toEqual([])
  })

  test('typesVersions gives node10 resolution the CommonJS types of every subpath entry of the exports map (the ESM ones of ESM-only entries)', () => {
    type Target = { readonly require?: { readonly types?: string }; readonly types?: string }
    const pkg = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as { exports: Record<string, Target | string>; typesVersions: Record<string, Record<string, string[]>> }
    const expected = Object.fromEntries(
      Object.entries(pkg.exports)
        .filter(([subpath, target]) => subpath !== '.' && typeof target === 'object')
        .map(([subpath, target]) => [subpath.slice(2), [(target as Target).require?.types ?? (target as Target).types]]),
    )
    expect(pkg.typesVersions).toEqual({ '*': expected })
  })
})
