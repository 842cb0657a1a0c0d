import childProcess from 'node:child_process'
import fs from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import zlib from 'node:zlib'
import { describe, expect, test } from 'vitest'
import { configure, defaults, detect, type SyncIoFinding } from '../../src/index.js'
import { countingFormatter } from '../helpers/formatter.js'
import { defaultsWithoutStalls, syncIo, tempDir } from './support.js'

defaultsWithoutStalls()
const require = createRequire(import.meta.url)
const thisFile = fileURLToPath(import.meta.url)
const dir = tempDir()
const allowedDir = join(dir, 'allowed')
const otherDir = join(dir, 'other')
fs.mkdirSync(allowedDir)
fs.mkdirSync(otherDir)
const allowedFile = join(allowedDir, 'a.json')
const otherFile = join(otherDir, 'b.json')
fs.writeFileSync(allowedFile, '{}')
fs.writeFileSync(otherFile, '{}')
const node = process.execPath

// A dependency that blocks (test/fixtures/core/node_modules/fakepkg), loaded outside any scope.
const fakepkg = require('../fixtures/core/node_modules/fakepkg') as { statFile(path: string): fs.Stats }

/** `[operation, allowed, allowedBy]` of each finding, sorted by operation, blocking ones first. */
function verdicts(findings: readonly SyncIoFinding[] | Parameters<typeof syncIo>[0]): [string, boolean, string | undefined][] {
  return syncIo(findings)
    .map((f): [string, boolean, string | undefined] => [f.operation, f.allowed, f.allowedBy])
    .sort((x, y) => `${x[0]} ${Number(x[1])} ${x[2] ?? ''}`.localeCompare(`${y[0]} ${Number(y[1])} ${y[2] ?? ''}`))
}

function loadSync(path: string): Buffer {
  return fs.readFileSync(path)
}

function loadOther(path: string): Buffer {
  return fs.readFileSync(path)
}

// A package a built-in rule names (test/fixtures/core/node_modules/jest-snapshot).
const machinery = require('../fixtures/core/node_modules/jest-snapshot') as { statFile(path: string): fs.Stats }

// Library code of the user's own (outside node_modules), that blocks.
const libraryRead = (require('../fixtures/core/library.cjs') as { libraryRead(path: string): Buffer }).libraryRead

describe('allow rules: an allowed finding is reported with allowed: true and the rule, and fails nothing', () => {
  test('operation glob', async () => {
    const { findings, blocking } = await detect(
      () => {
        fs.statSync(allowedFile)
        fs.readFileSync(allowedFile)
        zlib.gzipSync('x')
      },
      { allow: ['fs.*Sync'] },
    )
    expect(verdicts(findings)).toEqual([
      ['fs.readFileSync', true, 'fs.*Sync'],
      ['fs.statSync', true, 'fs.*Sync'],
      ['zlib.gzipSync', false, undefined],
    ])
    expect(verdicts(blocking)).toEqual([['zlib.gzipSync', false, undefined]])
  })

  test('an exact operation id matches that operation only (not fs.realpathSync.native)', async () => {
    const { findings } = await detect(
      () => {
        fs.existsSync(allowedFile)
        fs.realpathSync(allowedFile)
        fs.realpathSync.native(allowedFile)
      },
      { allow: ['fs.existsSync', 'fs.realpathSync'] },
    )
    expect(verdicts(findings)).toEqual([
      ['fs.existsSync', true, 'fs.existsSync'],
      ['fs.realpathSync', true, 'fs.realpathSync'],
      ['fs.realpathSync.native', false, undefined],
    ])
  })

  test('configured rules and a detect() call’s own rules add up', async () => {
    configure({ allow: ['fs.statSync'] })
    const { findings } = await detect(
      () => {
        fs.statSync(allowedFile)
        fs.lstatSync(allowedFile)
        fs.readdirSync(dir)
      },
      { allow: ['fs.lstatSync'] },
    )
    expect(verdicts(findings)).toEqual([
      ['fs.lstatSync', true, 'fs.lstatSync'],
      ['fs.readdirSync', false, undefined],
      ['fs.statSync', true, 'fs.statSync'],
    ])
  })

  test('path glob with an operation (absolute and relative globs; string, URL and Buffer paths)', async () => {
    const rule = { operation: 'fs.readFileSync', path: `${allowedDir}/**` }
    const relativeRule = { operation: 'fs.readFileSync', path: `${relative(process.cwd(), join(thisFile, '..'))}/*.test.ts` }
    const { findings } = await detect(
      () => {
        fs.readFileSync(allowedFile)
        fs.readFileSync(pathToFileURL(allowedFile))
        fs.readFileSync(Buffer.from(allowedFile))
        fs.readFileSync(thisFile)
        fs.readFileSync(otherFile)
        fs.statSync(allowedFile)
      },
      { allow: [rule, relativeRule] },
    )
    const label = JSON.stringify(rule)
    const relativeLabel = JSON.stringify(relativeRule)
    const found = syncIo(findings)
    expect(found.filter((f) => f.allowedBy === label).reduce((n, f) => n + f.calls, 0)).toBe(3)
    expect(found.filter((f) => f.allowedBy === relativeLabel).reduce((n, f) => n + f.calls, 0)).toBe(1)
    // The same operation elsewhere, and another operation at the same path, stay blocking.
    expect(verdicts(found.filter((f) => !f.allowed))).toEqual([
      ['fs.readFileSync', false, undefined],
      ['fs.statSync', false, undefined],
    ])
    expect(found.find((f) => !f.allowed && f.operation === 'fs.readFileSync')?.args).toBe(otherFile)
  })

  test('a rule that needs no stack allows without one, and the report still shows what it let through: the first argument, and how many others', async () => {
    const rule = { operation: 'fs.readFileSync', path: `${dir}/**` }
    const { findings } = await detect(
      () => {
        for (let i = 0; i < 3; i++) fs.readFileSync(allowedFile)
        fs.readFileSync(otherFile)
      },
      { allow: [rule] },
    )
    expect(syncIo(findings).map((f) => ({ allowedBy: f.allowedBy, calls: f.calls, args: f.args, otherArgs: f.otherArgs, unstacked: f.unstacked, location: f.location }))).toEqual([
      { allowedBy: JSON.stringify(rule), calls: 4, args: allowedFile, otherArgs: 1, unstacked: true, location: undefined },
    ])
  })

  test('command glob (execSync, execFileSync and spawnSync)', async () => {
    const rule = { command: '**/node* -e 0' }
    const { findings } = await detect(
      () => {
        childProcess.execFileSync(node, ['-e', '0'])
        childProcess.spawnSync(node, ['-e', '0'])
        childProcess.execFileSync(node, ['-e', '1'])
      },
      { allow: [rule] },
    )
    expect(verdicts(findings)).toEqual([
      ['child_process.execFileSync', false, undefined],
      ['child_process.execFileSync', true, JSON.stringify(rule)],
      ['child_process.spawnSync', true, JSON.stringify(rule)],
    ])
    expect(syncIo(findings).find((f) => !f.allowed)?.args).toBe(`${node} -e 1`)
  })

  test('in a command glob, `*` matches any characters, `/` included: a command is not a path', async () => {
    const rule = { command: '* -e 0*' }
    const { findings } = await detect(
      () => {
        // `${node} -e 0 ../other/dir`: slashes in the program and in the arguments.
        childProcess.execFileSync(node, ['-e', '0', '../other/dir'])
        childProcess.execFileSync(node, ['-e', '1'])
      },
      { allow: [rule] },
    )
    expect(verdicts(findings)).toEqual([
      ['child_process.execFileSync', false, undefined],
      ['child_process.execFileSync', true, JSON.stringify(rule)],
    ])
  })

  test('brace alternatives in globs: `{a,b}` is either (operations, paths, nested)', async () => {
    const { findings } = await detect(
      () => {
        fs.statSync(allowedFile)
        fs.readFileSync(otherFile)
        fs.existsSync(allowedFile)
        fs.readFileSync(join(dir, 'allowed', '..', 'other', 'b.json'), 'utf8')
        zlib.gzipSync('x')
      },
      { allow: ['fs.{stat,exists}Sync', { operation: 'fs.readFileSync', path: '**/{allowed,other/{a,b}.{json,yml}}' }] },
    )
    expect(verdicts(findings)).toEqual([
      ['fs.existsSync', true, 'fs.{stat,exists}Sync'],
      ['fs.readFileSync', true, '{"operation":"fs.readFileSync","path":"**/{allowed,other/{a,b}.{json,yml}}"}'],
      ['fs.statSync', true, 'fs.{stat,exists}Sync'],
      ['zlib.gzipSync', false, undefined],
    ])
  })

  test('a path outside the project, written relative with `..` as the baseline writes it (a monorepo’s sibling package), matches: caller, within and path', async () => {
    // socket.io: `{ caller: '../engine.io/build/contrib/base64id.js' }` matched nothing.
    const sibling = join(dir, 'sibling')
    fs.mkdirSync(sibling, { recursive: true })
    const file = join(sibling, 'base64id.cjs')
    fs.writeFileSync(file, "const fs = require('node:fs')\nexports.stat = (p) => fs.statSync(p)\n")
    const base64id = require(file) as { stat(path: string): fs.Stats }
    const rel = relative(process.cwd(), file).split('\\').join('/')
    expect(rel.startsWith('../')).toBe(true)
    for (const rule of [{ caller: rel }, { within: rel }, { caller: `${rel.slice(0, rel.lastIndexOf('/'))}/**` }, { operation: 'fs.statSync', path: rel }]) {
      const { findings } = await detect(() => base64id.stat(file), { allow: [rule] })
      expect(syncIo(findings).map((f) => [f.allowed, f.allowedBy]), JSON.stringify(rule)).toEqual([[true, JSON.stringify(rule)]])
    }
  })

  test('characters a RegExp gives a meaning to are plain characters in a glob', async () => {
    const odd = join(dir, 'a+b (c)[d]$e^f|g.h')
    const near = join(dir, 'a+bb (c)[d]$e^f|gxh')
    for (const folder of [odd, near]) {
      fs.mkdirSync(folder)
      fs.writeFileSync(join(folder, 'x.json'), '{}')
    }
    const rule = { operation: 'fs.readFileSync', path: '**/a+b (c)[d]$e^f|g.h/*.json' }
    const { findings } = await detect(
      () => {
        fs.readFileSync(join(odd, 'x.json'))
        // `+`, `[d]`, `|` and `.` as RegExp syntax would match this one too.
        fs.readFileSync(join(near, 'x.json'))
      },
      { allow: [rule] },
    )
    const found = syncIo(findings)
    expect(found.filter((f) => f.allowed).map((f) => f.allowedBy)).toEqual([JSON.stringify(rule)])
    expect(found.filter((f) => !f.allowed).map((f) => f.args)).toEqual([join(near, 'x.json')])
  })

  test('within glob: any frame of the stack in that file (relative or absolute glob)', async () => {
    const relativeRule = { within: relative(process.cwd(), thisFile) }
    const absoluteRule = { within: '**/allow-rules.test.ts' }
    const other = { within: '**/somewhere-else.ts' }
    const byRelative = await detect(() => fs.statSync(allowedFile), { allow: [relativeRule] })
    const byAbsolute = await detect(() => fakepkg.statFile(allowedFile), { allow: [absoluteRule] })
    const notMatching = await detect(() => fs.statSync(allowedFile), { allow: [other] })
    expect(verdicts(byRelative.findings)).toEqual([['fs.statSync', true, JSON.stringify(relativeRule)]])
    expect(verdicts(byAbsolute.findings)).toEqual([['fs.statSync', true, JSON.stringify(absoluteRule)]])
    expect(verdicts(notMatching.findings)).toEqual([['fs.statSync', false, undefined]])
  })

  test('caller glob: only the user’s own frame nearest to the call, not any frame of the stack', async () => {
    const callerRule = { caller: '**/allow-rules.test.ts' }
    const library = { caller: '**/library.cjs' }
    // The test file calls the library, which blocks: `within` the test file matches (the test file is
    // on every stack of a test), `caller` does not — the call is the library's.
    const viaLibrary = await detect(() => libraryRead(allowedFile), { allow: [callerRule] })
    expect(verdicts(viaLibrary.findings)).toEqual([['fs.readFileSync', false, undefined]])
    const withinTest = await detect(() => libraryRead(allowedFile), { allow: [{ within: '**/allow-rules.test.ts' }] })
    expect(verdicts(withinTest.findings)).toEqual([['fs.readFileSync', true, '{"within":"**/allow-rules.test.ts"}']])
    const byLibrary = await detect(() => libraryRead(allowedFile), { allow: [library] })
    expect(verdicts(byLibrary.findings)).toEqual([['fs.readFileSync', true, JSON.stringify(library)]])
    // A dependency's call: the caller frame is the user's frame below it, here the test file.
    const viaDependency = await detect(() => fakepkg.statFile(allowedFile), { allow: [callerRule] })
    expect(verdicts(viaDependency.findings)).toEqual([['fs.statSync', true, JSON.stringify(callerRule)]])
    const direct = await detect(() => fs.statSync(allowedFile), { allow: [callerRule] })
    expect(verdicts(direct.findings)).toEqual([['fs.statSync', true, JSON.stringify(callerRule)]])
  })

  test('a compiled template’s frames are not the caller: calls from two template lines are one site, the user frame that ran it', async () => {
    // As ejs compiles a template: new Function with the template's path as sourceURL.
    const template = new Function('fs', 'path', 'fs.statSync(path)\nfs.statSync(path)\n//# sourceURL="/p/views/login.ejs"') as (f: typeof fs, path: string) => void
    const rule = { caller: '**/allow-rules.test.ts' }
    const { findings } = await detect(() => template(fs, allowedFile), { allow: [rule] })
    const [f, ...rest] = syncIo(findings)
    expect(rest).toEqual([])
    expect(f?.calls).toBe(2)
    expect(f?.location?.file).toBe(thisFile)
    expect(f?.allowedBy).toBe(JSON.stringify(rule))
  })

  test('caller and function: the caller frame’s function, by glob', async () => {
    const rule = { caller: '**/allow-rules.test.ts', function: 'load*' }
    const { findings } = await detect(
      () => {
        loadSync(allowedFile)
        libraryRead(allowedFile)
      },
      { allow: [rule] },
    )
    expect(verdicts(findings)).toEqual([
      ['fs.readFileSync', false, undefined],
      ['fs.readFileSync', true, JSON.stringify(rule)],
    ])
  })

  test('within and function: only calls made inside that function of that file, function by glob', async () => {
    const rule = { within: '**/allow-rules.test.ts', function: 'loadSync' }
    const { findings } = await detect(
      () => {
        loadSync(allowedFile)
        loadOther(allowedFile)
      },
      { allow: [rule] },
    )
    expect(verdicts(findings)).toEqual([
      ['fs.readFileSync', false, undefined],
      ['fs.readFileSync', true, JSON.stringify(rule)],
    ])
    const wrongFile = await detect(() => loadSync(allowedFile), { allow: [{ within: '**/elsewhere.ts', function: 'loadSync' }] })
    expect(verdicts(wrongFile.findings)).toEqual([['fs.readFileSync', false, undefined]])
    const functionOnly = await detect(() => loadSync(allowedFile), { allow: [{ function: 'loadSync' }] })
    expect(verdicts(functionOnly.findings)).toEqual([['fs.readFileSync', true, '{"function":"loadSync"}']])
    const globbed = await detect(() => loadSync(allowedFile), { allow: [{ function: 'load{Sync,Async}' }] })
    expect(verdicts(globbed.findings)).toEqual([['fs.readFileSync', true, '{"function":"load{Sync,Async}"}']])
    const noMatch = await detect(() => loadOther(allowedFile), { allow: [{ function: 'load?ync' }] })
    expect(verdicts(noMatch.findings)).toEqual([['fs.readFileSync', false, undefined]])
  })

  test('`frame` is refused, naming `caller` and `within` and why', () => {
    expect(() => configure({ allow: [{ frame: 'test/**' } as never] })).toThrow(/`allow\[0\]`.*`frame`.*`caller`.*`within`/s)
    expect(() => configure({ allow: ['fs.existsSync', { frame: 'test/**' } as never] })).toThrow(/allow\[1\].*matched any frame of the stack/)
    return expect(detect(() => 1, { allow: [{ frame: 'x' } as never] })).rejects.toThrow(TypeError)
  })

  test('package: anything called from that package', async () => {
    const rule = { package: 'fakepkg' }
    const { findings } = await detect(
      () => {
        fakepkg.statFile(allowedFile)
        fs.statSync(allowedFile)
      },
      { allow: [rule] },
    )
    expect(verdicts(findings)).toEqual([
      ['fs.statSync', false, undefined],
      ['fs.statSync', true, JSON.stringify(rule)],
    ])
    // Without the rule, the dependency's call is the user's finding, with the package named.
    const { blocking } = await detect(() => fakepkg.statFile(allowedFile))
    const [f] = syncIo(blocking)
    expect(f?.offender?.package).toBe('fakepkg')
    expect(f?.offender?.file).toBe(join(thisFile, '..', '..', 'fixtures', 'core', 'node_modules', 'fakepkg', 'index.js'))
    expect(f?.location?.file).toBe(thisFile)
    const globbed = await detect(() => fakepkg.statFile(allowedFile), { allow: [{ package: 'fake*' }] })
    expect(globbed.blocking).toEqual([])
  })

  test('two packages called from one line of the user’s are two findings, each naming its package (copy-webpack-plugin: browserslist’s read and webpack’s)', async () => {
    const otherpkg = require('../fixtures/core/node_modules/otherpkg') as { statFile(path: string): fs.Stats }
    const statWith = (pkg: { statFile(path: string): fs.Stats }, path: string): fs.Stats => pkg.statFile(path)
    const { blocking } = await detect(() => {
      statWith(fakepkg, allowedFile)
      statWith(otherpkg, otherFile)
      statWith(otherpkg, allowedFile)
    })
    const found = syncIo(blocking).map((f) => [f.location?.line, f.offender?.package, f.calls, f.args, f.otherArgs])
    expect(found).toEqual([
      [found[0]?.[0], 'fakepkg', 1, allowedFile, undefined],
      [found[0]?.[0], 'otherpkg', 2, otherFile, 1],
    ])
  })
})

describe('built-in rules', () => {
  test('are listed in `defaults`', () => {
    const names = new Set(defaults.map((d) => d.name))
    for (const name of ["Node's module loader", 'vitest/vite module runner', 'jest module registry', 'mocha', 'source maps', 'coverage', 'TypeScript/Babel register hook', 'jiti module loader', "Node's fetch (its bundled undici)", "Node's output to a file (process.stdout, process.stderr)"]) {
      expect(names).toContain(name)
    }
    expect(defaults.find((d) => d.name === "Node's module loader")?.moduleLoading).toBe(true)
  })

  test('jiti loading a module is module loading (unocss: a config written to a temporary folder, loaded through unconfig): not a finding by default, and counted with moduleLoading: true', async () => {
    const root = join(dir, 'node_modules', 'jiti')
    fs.mkdirSync(root, { recursive: true })
    fs.writeFileSync(join(root, 'index.cjs'), "const fs = require('node:fs')\nexports.import = (file) => { fs.statSync(file); return fs.readFileSync(file, 'utf8') }\n")
    const jiti = require(join(root, 'index.cjs')) as { import(file: string): string }
    const quiet = await detect(() => jiti.import(allowedFile))
    expect(quiet.findings).toEqual([])
    const counted = await detect(() => jiti.import(allowedFile), { moduleLoading: true })
    expect(syncIo(counted.blocking).map((f) => [f.operation, f.offender?.package, f.location?.file])).toEqual([
      ['fs.statSync', 'jiti', thisFile],
      ['fs.readFileSync', 'jiti', thisFile],
    ])
  })

  test('require() of a not-yet-loaded module is not a finding by default, and is with moduleLoading: true', async () => {
    const first = require.resolve('../fixtures/core/cjs/first.cjs')
    const second = require.resolve('../fixtures/core/cjs/second.cjs')
    expect(require.cache[first]).toBeUndefined()
    expect(require.cache[second]).toBeUndefined()

    const quiet = await detect(() => require(first) as { loaded: string })
    expect(quiet.value.loaded).toBe('first')
    expect(quiet.findings).toEqual([])

    const counted = await detect(() => require(second) as { loaded: string }, { moduleLoading: true })
    expect(counted.value.loaded).toBe('second')
    const found = syncIo(counted.blocking)
    expect(found.map((f) => f.operation)).toContain('fs.readFileSync')
    for (const f of found) {
      expect(f.frames.some((fr) => fr.file.startsWith('node:internal/modules/'))).toBe(true)
      expect(f.location?.file).toBe(thisFile)
    }

    // Loaded already: no I/O, nothing to report even when counting module loading.
    const cached = await detect(() => require(second) as unknown, { moduleLoading: true })
    expect(cached.findings).toEqual([])
  })

  describe('a library the machinery runs, which the user’s code may also call (esbuild, @babel/core, write-file-atomic, vite)', () => {
    // Each blocks `depth` frames deep inside itself; `pirates` is a register hook running esbuild.
    const libs = ['esbuild', '@babel/core', 'write-file-atomic', 'vite'] as const
    for (const lib of libs) {
      const root = join(dir, 'node_modules', lib)
      fs.mkdirSync(root, { recursive: true })
      fs.writeFileSync(join(root, 'index.cjs'), "const fs = require('node:fs')\nfunction down(n) { return n === 0 ? fs.statSync(__filename) : down(n - 1) }\nexports.run = (depth = 0) => down(depth)\n")
    }
    fs.mkdirSync(join(dir, 'node_modules', 'pirates'), { recursive: true })
    fs.writeFileSync(join(dir, 'node_modules', 'pirates', 'index.cjs'), "const esbuild = require('../esbuild/index.cjs')\nexports.compile = () => esbuild.run()\n")
    type Lib = { run(depth?: number): fs.Stats }
    const lib = (name: string): Lib => require(join(dir, 'node_modules', name, 'index.cjs')) as Lib
    const hook = require(join(dir, 'node_modules', 'pirates', 'index.cjs')) as { compile(): fs.Stats }

    for (const name of libs) {
      test(`${name}: the user’s own call into it is the user’s, reported with the library as the offender`, async () => {
        const { blocking } = await detect(() => lib(name).run())
        const found = syncIo(blocking)
        expect(verdicts(found)).toEqual([['fs.statSync', false, undefined]])
        expect(found[0]?.offender?.package).toBe(name)
        expect(found[0]?.location?.file).toBe(thisFile)
      })
    }

    test('run by a register hook (the hook’s frames above the user’s), it is the hook’s call: allowed', async () => {
      expect((await detect(() => hook.compile())).findings).toEqual([])
    })

    test('Vite’s module runner (what of Vite runs in a Vitest worker) is machinery even when the user’s code is below it', async () => {
      // As `await import('./module.js')` in a test: the runner's frames above the test's.
      const runnerFile = join(dir, 'node_modules', 'vite', 'dist', 'node', 'module-runner.js')
      fs.mkdirSync(dirname(runnerFile), { recursive: true })
      fs.writeFileSync(runnerFile, "const fs = require('node:fs')\nexports.runInlinedModule = () => fs.statSync(__filename)\n")
      const runner = require(runnerFile) as { runInlinedModule(): fs.Stats }
      expect((await detect(() => runner.runInlinedModule())).findings).toEqual([])
      // The rest of Vite called the same way is the user's call.
      expect(syncIo((await detect(() => lib('vite').run())).blocking)[0]?.offender?.package).toBe('vite')
    })

    // changesets, typedoc: the user's frame 21 and 34–40 frames down. Searched once more, 110 deep.
    test('deeper than traceDepth + 10, the user’s frame is searched for further down: the call is the user’s', async () => {
      const { blocking } = await detect(() => lib('esbuild').run(40))
      expect(verdicts(blocking)).toEqual([['fs.statSync', false, undefined]])
      expect(syncIo(blocking)[0]?.location?.file).toBe(thisFile)
      expect(syncIo(blocking)[0]?.offender?.package).toBe('esbuild')
    })

    test('with no frame of the user’s own in the first 110 frames (a stack deeper still), it is allowed as before', async () => {
      expect((await detect(() => lib('esbuild').run(120))).findings).toEqual([])
    })

    test('deeper than traceDepth only, the shallow capture allowing it is not taken for the verdict: the deep one shows the user’s frame', async () => {
      const { blocking } = await detect(() => lib('esbuild').run(12))
      expect(verdicts(blocking)).toEqual([['fs.statSync', false, undefined]])
      expect(syncIo(blocking)[0]?.location?.file).toBe(thisFile)
    })
  })

  test('a built-in rule never allows the user’s own call, only the machinery making it', async () => {
    // The stack of every call passes through the test runner (vitest), yet the call is reported.
    const { blocking } = await detect(() => fs.statSync(allowedFile))
    expect(verdicts(blocking)).toEqual([['fs.statSync', false, undefined]])
    expect(syncIo(blocking)[0]?.frames.some((f) => f.file.includes('/node_modules/') && f.file.includes('vitest'))).toBe(true)
  })
})

// A chain of the user's own functions down to a dependency that blocks: with `traceDepth: 1` the
// caller frame lies below the first captured frame, so the call keeps a deep stack (traceDepth + 10).
function throughDependency(path: string): fs.Stats {
  return viaOne(path)
}
function viaOne(path: string): fs.Stats {
  return viaTwo(path)
}
function viaTwo(path: string): fs.Stats {
  return fakepkg.statFile(path)
}

describe('source maps are worked out only for what is reported', () => {
  test("a finding's deep stack has only the frames it shows mapped, and shows what mapping every frame shows", async () => {
    const formatter = countingFormatter()
    let shownRuns: number
    let allRuns: number
    let shown: Awaited<ReturnType<typeof detect>>
    let all: Awaited<ReturnType<typeof detect>>
    try {
      shown = await detect(() => throughDependency(otherFile), { traceDepth: 1 })
      shownRuns = formatter.runs
      // A rule that looks at every frame (and matches none) has every frame of the same stack mapped.
      all = await detect(() => throughDependency(otherFile), { traceDepth: 1, allow: [{ operation: 'fs.statSync', within: 'no/such/dir/**' }] })
      allRuns = formatter.runs - shownRuns
    } finally {
      formatter.restore()
    }
    const [a] = syncIo(shown.findings)
    const [b] = syncIo(all.findings)
    // The dependency's frame (the first one) and the caller frame, nothing else.
    expect(a?.frames.map((f) => f.fn)).toEqual(['Object.statFile', 'viaTwo'])
    expect(a?.location).toMatchObject({ file: thisFile, function: 'viaTwo' })
    expect(a?.offender?.package).toBe('fakepkg')
    expect(shownRuns).toBeLessThanOrEqual(2)
    expect(allRuns).toBeGreaterThan(2)
    expect(b?.frames).toEqual(a?.frames)
    expect(b?.location).toEqual(a?.location)
    expect(b?.offender).toEqual(a?.offender)
  })


  test("a call a runner's machinery makes is allowed by its built-in rule without the runner's formatter mapping a frame; a violation's frames are mapped", async () => {
    const formatter = countingFormatter()
    try {
      const quiet = await detect(() => machinery.statFile(allowedFile))
      const afterMachinery = formatter.runs
      const loud = await detect(() => loadOther(otherFile))
      formatter.restore()
      expect(quiet.findings).toEqual([])
      expect(afterMachinery).toBe(0)
      expect(verdicts(loud.findings)).toEqual([['fs.readFileSync', false, undefined]])
      expect(formatter.runs).toBeGreaterThan(0)
    } finally {
      formatter.restore()
    }
  })
})
