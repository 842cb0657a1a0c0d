// Builds dist/esm (ES modules) and dist/cjs (CommonJS), each with its own .d.ts, so that `import`
// and `require` consumers both get typed entry points.
//
// The ESM build is bundled (one chunk for the core, shared by every entry): Vitest starts a fresh
// module graph per test file, and loading ~25 small modules cost ~9 ms per file more than one
// bundle does. The CJS build (Jest, Mocha, --require preloads) is plain tsc output: those load it
// once per process.
//
// No source maps, no declaration maps: a map would point at `src/*.ts`, which the package does not
// contain, so a stack through loopcop's code (a user's ENOENT thrown through the `readFileSync`
// wrapper) would name files the user cannot open. Without maps, those frames name the built `.js`
// files that are there.
import { execFileSync } from 'node:child_process'
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const require = createRequire(import.meta.url)
const tsc = require.resolve('typescript/bin/tsc')
const run = (...args) => execFileSync(process.execPath, [tsc, ...args], { cwd: root, stdio: 'inherit' })

// dist/ starts empty: files of an earlier build (chunks under old hashes, removed modules) would
// otherwise be published. End-to-end tests run the packed tarball installed under
// test/fixtures/node_modules, never dist/ itself.
rmSync(join(root, 'dist'), { recursive: true, force: true })
const noMaps = ['--sourceMap', 'false', '--declarationMap', 'false']
run('-p', 'tsconfig.build.json', '--outDir', 'dist/esm', '--emitDeclarationOnly', ...noMaps)
run('-p', 'tsconfig.build.json', '--outDir', 'dist/cjs', '--module', 'commonjs', '--moduleResolution', 'node10', ...noMaps)
for (const [dir, type] of [['esm', 'module'], ['cjs', 'commonjs']]) {
  mkdirSync(join(root, 'dist', dir, 'src', 'stall'), { recursive: true })
  writeFileSync(join(root, 'dist', dir, 'package.json'), JSON.stringify({ type }) + '\n')
  // The stall watchdog's worker, an ES module of its own that both builds start from there.
  copyFileSync(join(root, 'src', 'stall', 'watchdog-worker.mjs'), join(root, 'dist', dir, 'src', 'stall', 'watchdog-worker.mjs'))
}

// Every ESM entry of the exports map, bundled with code splitting.
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
const entries = Object.values(pkg.exports)
  // Entries with only an ES module build (Vitest's setup files) have a top-level `default`.
  .map((e) => e.import?.default ?? e.default)
  .filter((p) => typeof p === 'string')
  .map((p) => p.replace(/^\.\/dist\/esm\//, '').replace(/\.js$/, '.ts'))
  // Not a public entry point: the benchmark drives scopes through it as the integrations do.
  .concat('src/integration.ts')
const esbuild = require('esbuild')
await esbuild.build({
  absWorkingDir: root,
  entryPoints: entries,
  outbase: '.',
  outdir: 'dist/esm',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  chunkNames: 'chunks/[name]-[hash]',
  sourcemap: false,
  logLevel: 'warning',
})
