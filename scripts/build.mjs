// Builds dist/esm (ES modules) and dist/cjs (CommonJS) from the same sources, each with
// its own .d.ts, so that `import` and `require` consumers both get typed entry points.
import { execFileSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc')
const run = (...args) => execFileSync(process.execPath, [tsc, ...args], { cwd: root, stdio: 'inherit' })

// dist/ is not wiped first: e2e tests of parallel workers may be reading it; stale files are harmless.
run('-p', 'tsconfig.build.json', '--outDir', 'dist/esm')
run('-p', 'tsconfig.build.json', '--outDir', 'dist/cjs', '--module', 'commonjs', '--moduleResolution', 'node10')
for (const [dir, type] of [['esm', 'module'], ['cjs', 'commonjs']]) {
  mkdirSync(join(root, 'dist', dir), { recursive: true })
  writeFileSync(join(root, 'dist', dir, 'package.json'), JSON.stringify({ type }) + '\n')
}
