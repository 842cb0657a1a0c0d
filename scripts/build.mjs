// Builds dist/esm (ES modules) and dist/cjs (CommonJS) in ONE shape: the same entries, the same
// files, each with its .d.ts, so that `import` and `require` consumers both get typed entry points
// and loopcop's own frames look the same in both.
//
//   node scripts/build.mjs               clean build
//   node scripts/build.mjs --if-changed  nothing when dist/ was built from the same sources (CI
//                                        builds once; `npm test` after it does not build again)
//
// Every entry of the exports map, `src/integration.ts` (the integrations' API), `src/core.ts`
// (the core itself) and the `LAZY` ones is bundled on its own with esbuild, and an import of
// another entry stays an import of that entry's file (but for the stateless ones in `INLINED`):
// the core is ONE file (`src/core-bundle.js`, in dist/cjs) that every entry loads through its
// build's `src/core.js`, an integration's own modules are inlined into its entry.
// Vitest starts a fresh module graph per test file, and loading ~45 small modules cost several ms
// per file more than a few files do.
//
// No source maps, no declaration maps: a map would point at `src/*.ts`, which the package does not
// contain, so a stack through loopcop's code (a user's ENOENT thrown through the `readFileSync`
// wrapper) would name files the user cannot open. Without maps, those frames name the built `.js`
// files that are there.
import { createHash } from 'node:crypto'
import { execFileSync } from 'node:child_process'
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, relative, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const require = createRequire(import.meta.url)
const tsc = require.resolve('typescript/bin/tsc')
const run = (...args) => execFileSync(process.execPath, [tsc, ...args], { cwd: root, stdio: 'inherit' })
const FORMATS = /** @type {const} */ ([
  ['esm', 'module'],
  ['cjs', 'commonjs'],
])
/** The watchdog's worker: an ES module of its own, started from its file in either build. */
const WORKER = join('src', 'stall', 'watchdog-worker.mjs')
/** The command line (`npx loopcop`): the package's `bin`, an ES module with a shebang, built into dist/esm only. */
const BIN = join('src', 'cli', 'main.ts')
/** The core: one file every entry loads (a loader of the bundle below, in both builds). */
const CORE = 'src/core.ts'
/** The core itself, in dist/cjs only: the loaders of both builds run it, once per process. */
const CORE_BUNDLE = join('src', 'core-bundle.js')
/**
 * Entries no export names: modules an entry loads only when they are needed, from their own files
 * (`loopcop/node-test` loads the rest of itself only in a process that runs tests).
 */
const LAZY = ['integrations/node-test/start.ts']
/** What dist/ was last built from (outside dist/: never published). */
const STAMP = join(root, '.loopcop', 'build-inputs')

/** Every file the build reads, hashed: dist/ is up to date when it was built from the same. */
function inputsHash() {
  const hash = createHash('sha256')
  const walk = (dir) => {
    for (const name of readdirSync(join(root, dir)).sort()) {
      const path = join(dir, name)
      if (statSync(join(root, path)).isDirectory()) walk(path)
      else hash.update(`${path}\0`).update(readFileSync(join(root, path))).update('\0')
    }
  }
  walk('src')
  walk('integrations')
  for (const file of ['package.json', 'tsconfig.json', 'tsconfig.build.json', 'scripts/build.mjs']) hash.update(`${file}\0`).update(readFileSync(join(root, file)))
  return hash.digest('hex')
}

const hash = inputsHash()
if (process.argv.includes('--if-changed') && existsSync(join(root, 'dist', 'cjs', 'src', 'core.js')) && existsSync(STAMP) && readFileSync(STAMP, 'utf8') === hash) {
  console.log('build: dist/ is up to date with the sources')
  process.exit(0)
}

rmSync(STAMP, { force: true })
// dist/ starts empty: files of an earlier build (removed modules) would otherwise be published.
// End-to-end tests run the packed tarball installed under test/fixtures/node_modules, never dist/.
rmSync(join(root, 'dist'), { recursive: true, force: true })

// Declarations, per module, for each module system.
const noMaps = ['--sourceMap', 'false', '--declarationMap', 'false']
run('-p', 'tsconfig.build.json', '--outDir', 'dist/esm', '--emitDeclarationOnly', ...noMaps)
run('-p', 'tsconfig.build.json', '--outDir', 'dist/cjs', '--emitDeclarationOnly', '--module', 'commonjs', '--moduleResolution', 'node10', ...noMaps)

// The entries: every target of the exports map (`import`, `require` and plain ones), as sources.
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
const targets = Object.values(pkg.exports).flatMap((e) => (typeof e === 'string' ? [e] : [e.import?.default, e.require?.default, e.default]))
const entries = [
  ...new Set(
    targets
      .filter((p) => typeof p === 'string' && p.endsWith('.js'))
      .map((p) => p.replace(/^\.\/dist\/(esm|cjs)\//, '').replace(/\.js$/, '.ts'))
      .concat('src/integration.ts', CORE, LAZY),
  ),
].sort()
const entryFiles = new Set(entries.map((e) => resolve(root, e)))

/** The source file a relative import names (`./x.js` is written for `./x.ts`). */
function sourceOf(resolveDir, specifier) {
  const target = resolve(resolveDir, specifier)
  for (const candidate of [target.replace(/\.js$/, '.ts'), target]) if (existsSync(candidate)) return candidate
  return undefined
}

/**
 * Entries inlined into the entries that import them, rather than loaded from their own files: they
 * hold no state (`src/integration.ts` only hands out the detector's members; `loopcop/vitest`'s
 * matchers register once per test file either way), and under Vitest each file loaded is paid
 * again in every test file — the one graph of `loopcop/vitest` (its entry, the integrations' API,
 * the matchers, then the core) cost ~2 ms a test file more than its entry and the core alone.
 */
const INLINED = new Set(['src/integration.ts', 'integrations/vitest/matchers.ts'].map((e) => resolve(root, e)))

/** Keeps an import of another entry an import of that entry's built file, relative to `entry`'s (see `INLINED`). */
function entriesStayFiles(entry) {
  return {
    name: 'entries-stay-files',
    setup(build) {
      build.onResolve({ filter: /^\.\.?\// }, (args) => {
        if (args.kind === 'entry-point') return undefined
        const source = sourceOf(args.resolveDir, args.path)
        if (source === undefined || source === entry || !entryFiles.has(source) || INLINED.has(source)) return undefined
        let path = relative(dirname(entry), source).split(sep).join('/').replace(/\.ts$/, '.js')
        if (!path.startsWith('.')) path = `./${path}`
        return { path, external: true }
      })
    },
  }
}

const esbuild = require('esbuild')
/** What the core exports (from the ES-module build of it, replaced below). */
let coreExports
for (const [format, type] of FORMATS) {
  const out = join(root, 'dist', format)
  mkdirSync(join(out, dirname(WORKER)), { recursive: true })
  writeFileSync(join(out, 'package.json'), JSON.stringify({ type }) + '\n')
  copyFileSync(join(root, WORKER), join(out, WORKER))
  await Promise.all(
    entries.map(async (entry) => {
      const result = await esbuild.build({
        absWorkingDir: root,
        entryPoints: [entry],
        outfile: join(out, entry.replace(/\.ts$/, '.js')),
        bundle: true,
        format,
        platform: 'node',
        target: 'node20',
        packages: 'external',
        plugins: [entriesStayFiles(resolve(root, entry))],
        sourcemap: false,
        metafile: entry === CORE,
        logLevel: 'warning',
      })
      if (entry === CORE && format === 'esm') coreExports = Object.values(result.metafile.outputs)[0].exports
    }),
  )
}
// The CommonJS core is the bundle both builds' loaders run (see `coreLoaders`).
renameSync(join(root, 'dist', 'cjs', CORE.replace(/\.ts$/, '.js')), join(root, 'dist', 'cjs', CORE_BUNDLE))
for (const format of FORMATS.map(([f]) => f)) {
  for (const file of readdirSync(join(root, 'dist', format), { recursive: true })) {
    if (String(file).endsWith('.js')) rewrite(join(root, 'dist', format, String(file)), finished(format))
  }
}
await coreLoaders()
// The bin: ESM only (package.json's `bin` names the dist/esm file), the shebang first, executable.
const binOut = join(root, 'dist', 'esm', BIN.replace(/\.ts$/, '.js'))
await esbuild.build({ absWorkingDir: root, entryPoints: [BIN], outfile: binOut, bundle: true, format: 'esm', platform: 'node', target: 'node20', packages: 'external', banner: { js: '#!/usr/bin/env node' }, sourcemap: false, logLevel: 'warning' })
chmodSync(binOut, 0o755)
mkdirSync(dirname(STAMP), { recursive: true })
writeFileSync(STAMP, hash)

/**
 * In a CommonJS file's text, a default import of a Node module used for nothing but its default
 * (`import fs from 'node:fs'`, to patch `fs.readFileSync` on the module object itself) becomes
 * `{ default: require('node:fs') }`. esbuild wraps it in `__toESM`, which copies every property of
 * the module as a getter onto a new object: ~400 of them for the ten imports of the core, ~0.7 ms
 * in each fresh worker thread (the ES-module build runs this core too), for an object only read
 * for `.default`. An import whose variable is read for anything else is left as esbuild made it.
 */
function plainBuiltinDefaults(text) {
  return text.replace(/\b(var|const|let) (\w+) = __toESM\(require\(("node:[\w/]+")\), 1\);/g, (whole, kind, name, id) => {
    const uses = [...text.matchAll(new RegExp(`\\b${name}\\b(\\.\\w+)?`, 'g'))]
    // The declaration itself, then only `.default` reads.
    return uses.slice(1).every((use) => use[1] === '.default') ? `${kind} ${name} = { default: require(${id}) };` : whole
  })
}

/** What every built file of `format` goes through once esbuild wrote it. */
function finished(format) {
  return (text) => asciiOnly(format === 'cjs' ? plainBuiltinDefaults(text) : text)
}

/**
 * A built file's text made ASCII: esbuild escapes the strings and regular expressions (its default
 * `charset`) but keeps some comments as written, and one `—` in a comment makes V8 hold the whole
 * source as two-byte text (the core: 360 KB of heap instead of 180, in every test file's thread).
 * Escaping what is left changes nothing else.
 */
function asciiOnly(text) {
  // eslint-disable-next-line no-control-regex -- every character outside ASCII
  return text.replace(/[^\u0000-\u007f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
}

/** Rewrites a built file through `transform`, written back only when it changed. */
function rewrite(file, transform) {
  const text = readFileSync(file, 'utf8')
  const out = transform(text)
  if (out !== text) writeFileSync(file, out)
}

/**
 * Both builds' `src/core.js`: small loaders of the core bundle (`dist/cjs/src/core-bundle.js`)
 * that evaluate it once per process (src/runtime/shared-core.ts), whichever build and realm asks
 * first. The CommonJS one runs it through V8's code cache (src/runtime/code-cache.ts) and exports
 * what it exports: Vitest loads the core afresh for every test file, where compiling it was ~5 ms
 * of each, and parsing and compiling it were ~40 M of the ~70 M instructions loopcop adds to a
 * Mocha run (bench/README.md, "Twenty-first pass"). It `require`s the bundle instead when it is
 * loaded first from a realm other than the process's main one (a Jest test file's). The ES-module
 * one `require`s the CommonJS one. The cache is for the bundle's exact bytes: their hash is written
 * into the CommonJS loader, and names the bundle's evaluation in the process.
 */
async function coreLoaders() {
  const bundle = join(root, 'dist', 'cjs', CORE_BUNDLE)
  const digest = JSON.stringify(createHash('sha256').update(readFileSync(bundle)).digest('hex').slice(0, 16))
  const names = coreExports.join(', ')
  const loader = async (format, contents) => {
    const outfile = join(root, 'dist', format, CORE.replace(/\.ts$/, '.js'))
    await esbuild.build({
      absWorkingDir: root,
      stdin: { contents, resolveDir: join(root, 'src'), sourcefile: `core.${format}.js`, loader: 'js' },
      outfile,
      bundle: true,
      format,
      platform: 'node',
      target: 'node20',
      packages: 'external',
      external: ['./core-bundle.js'],
      sourcemap: false,
      logLevel: 'warning',
      allowOverwrite: true,
    })
    rewrite(outfile, finished(format))
  }
  await loader(
    'cjs',
    [
      "import { loadCommonJs } from './runtime/code-cache.js'",
      "import { sharedCore } from './runtime/shared-core.js'",
      "const nodePath = require('node:path')",
      "const file = nodePath.join(__dirname, 'core-bundle.js')",
      // Node's own modules are objects of the process's main realm. Loaded there (Mocha, Jest's
      // environment, a script), the core goes through the code cache (the ES-module build's too);
      // loaded first from another realm (a Jest test file's, through Jest's `require`), it is
      // `require`d in that realm, as it always was: `loadCommonJs` would run it in the main one.
      'const mainRealm = Object.getPrototypeOf(nodePath) === Object.prototype',
      'let loaded',
      `const core = sharedCore(file, ${digest}, () => (mainRealm ? (loaded = loadCommonJs(file, ${digest})).exports : require('./core-bundle.js')))`,
      'if (loaded !== undefined && !loaded.complete) core.detector.whenWarm?.(loaded.saveCache)',
      `export const { ${names} } = core`,
    ].join('\n'),
  )
  // The ES-module loader is the CommonJS one, `require`d: one import of a builtin (`node:module`)
  // where its own copy of the loader imported seven, each an ES-module facade made for the
  // process (or Vitest's worker thread) — ~0.5–1.5 ms of every process's start (bench/README.md,
  // "Twenty-third pass"). `require` runs in the main realm whichever realm imports this (a Jest
  // ES-module test file's), so the CommonJS loader runs the core through the code cache there, as
  // this loader did itself.
  await loader(
    'esm',
    [
      "import { createRequire } from 'node:module'",
      "const core = createRequire(import.meta.url)('../../cjs/src/core.js')",
      `export const { ${names} } = core`,
    ].join('\n'),
  )
}
