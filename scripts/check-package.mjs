// `npm run check:package` (CI, after lint): checks the tarball `npm publish` would upload, not the
// working tree. Packs the built repository, then fails on
//   - any publint message, suggestions included, warnings counted as errors (`strict`);
//   - any problem @arethetypeswrong/cli finds in any resolution mode (`--profile strict`: node10,
//     node16 from CommonJS and from ESM, bundler), so TypeScript finds every entry's types;
//   - files a user should never get: TypeScript sources, tests, source maps without their sources;
//   - a `typesVersions` map (types of the subpath entries under `moduleResolution: node10`) that
//     drifted from the exports map;
//   - a missing LICENSE.
// `node scripts/check-package.mjs <tarball>` checks that tarball instead of packing the repository.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join, relative, resolve, sep } from 'node:path'
import { installTarball, packLoopcop } from './lib/pack.mjs'

const require = createRequire(import.meta.url)
const work = mkdtempSync(join(tmpdir(), 'loopcop-check-package-'))
const problems = []

try {
  const tarball = process.argv[2] === undefined ? packLoopcop(join(work, 'pack')) : resolve(process.argv[2])
  const unpacked = installTarball(tarball, join(work, 'node_modules'))
  console.log(`loopcop: checking ${tarball}`)

  problems.push(...fileProblems(unpacked))
  problems.push(...typesVersionsProblems(JSON.parse(readFileSync(join(unpacked, 'package.json'), 'utf8'))))
  problems.push(...(await publintProblems(tarball)))
  problems.push(...attwProblems(tarball))
} finally {
  rmSync(work, { recursive: true, force: true })
}

if (problems.length > 0) {
  console.error(`\nloopcop: the packed package has ${problems.length} problem${problems.length === 1 ? '' : 's'}:`)
  for (const problem of problems) console.error(`  - ${problem}`)
  process.exitCode = 1
} else {
  console.log('\nloopcop: the packed package is clean (files, typesVersions, publint, attw)')
}

/** Every file of an unpacked package, relative to its folder, with `/` separators. */
function listFiles(dir) {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)).split(sep).join('/'))
}

/** Files that must (LICENSE) or must not (sources, tests, incomplete maps) be in the tarball. */
function fileProblems(dir) {
  const files = listFiles(dir)
  const found = []
  for (const required of ['package.json', 'README.md', 'LICENSE']) {
    if (!files.includes(required)) found.push(`${required} is not in the tarball`)
  }
  for (const file of files) {
    if (file.endsWith('.ts') && !file.endsWith('.d.ts')) found.push(`${file}: a TypeScript source is published (only .js and .d.ts belong in the package)`)
    if (/(^|\/)(tests?|__tests__|fixtures)\/|\.(test|spec)\.[cm]?[jt]s$/.test(file)) found.push(`${file}: a test file is published`)
    if (file.endsWith('.map')) {
      const map = JSON.parse(readFileSync(join(dir, file), 'utf8'))
      const sources = map.sources ?? []
      const contents = map.sourcesContent ?? []
      if (sources.some((_, i) => typeof contents[i] !== 'string')) {
        found.push(`${file}: a source map without sourcesContent points at files the package does not contain (${sources.join(', ')})`)
      }
    }
  }
  return found
}

/**
 * `typesVersions` gives TypeScript's `node10` resolution (which ignores `exports`) the types of each
 * subpath entry: it must name every entry of the exports map, with that entry's CommonJS types.
 */
function typesVersionsProblems(pkg) {
  const found = []
  const mapped = pkg.typesVersions?.['*'] ?? {}
  const expected = {}
  for (const [subpath, target] of Object.entries(pkg.exports)) {
    if (subpath === '.' || typeof target !== 'object') continue
    // ES-module-only entries (Vitest's setup files: Vitest never `require`s them) have top-level types.
    expected[subpath.slice(2)] = target.require?.types ?? target.types
  }
  for (const [entry, types] of Object.entries(expected)) {
    const got = mapped[entry]
    if (types === undefined) found.push(`exports["./${entry}"] has no require.types (nor top-level types)`)
    else if (!Array.isArray(got) || got.length !== 1 || got[0] !== types) {
      found.push(`typesVersions["*"]["${entry}"] must be ["${types}"] (the require types of exports["./${entry}"]), is ${JSON.stringify(got)}`)
    }
  }
  for (const entry of Object.keys(mapped)) {
    if (!(entry in expected)) found.push(`typesVersions["*"]["${entry}"] names no entry of the exports map`)
  }
  return found
}

/** publint on the tarball: every message is a problem, suggestions included. */
async function publintProblems(tarball) {
  const { publint } = await import('publint')
  const { formatMessage } = await import('publint/utils')
  const bytes = readFileSync(tarball)
  const { messages, pkg } = await publint({ pack: { tarball: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) }, level: 'suggestion', strict: true })
  console.log(`\npublint: ${messages.length === 0 ? 'all good' : `${messages.length} message(s)`}`)
  return messages.map((message) => `publint ${message.type}: ${formatMessage(message, pkg, { color: false }) ?? message.code}`)
}

/**
 * @arethetypeswrong/cli on the tarball, in every resolution mode; its table is printed either way.
 * `cjs-resolves-to-esm` is expected for `loopcop/vitest` and `loopcop/vitest/matchers`: Vitest's
 * setup files only work as ES modules (Vitest refuses `require`), so they have no CommonJS build —
 * and under Yarn PnP Vitest resolves setup files with `require.resolve`, which must find the ESM one.
 */
function attwProblems(tarball) {
  const manifest = require.resolve('@arethetypeswrong/cli/package.json')
  const attw = join(manifest, '..', JSON.parse(readFileSync(manifest, 'utf8')).bin.attw)
  try {
    execFileSync(process.execPath, [attw, tarball, '--profile', 'strict', '--format', 'table-flipped', '--no-emoji', '--ignore-rules', 'cjs-resolves-to-esm'], { stdio: 'inherit' })
    return []
  } catch (error) {
    return [`attw found problems in the types (table above; exit code ${error.status})`]
  }
}
