// `npm run demo`: loopcop catching blocking calls in the example app, first with the core API,
// then under each test runner whose example is present (examples/<runner>/demo.mjs).
import { existsSync, lstatSync, mkdirSync, symlinkSync } from 'node:fs'
import { spawnSync } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const examples = dirname(fileURLToPath(import.meta.url))
const root = dirname(examples)

// The examples import 'loopcop' as a user would; this link stands in for `npm install loopcop`.
const link = join(examples, 'node_modules', 'loopcop')
mkdirSync(dirname(link), { recursive: true })
try {
  lstatSync(link)
} catch {
  symlinkSync(root, link, 'dir')
}

const demos = [
  ['core API: detect()', join(examples, 'core', 'demo.mjs')],
  ['Vitest', join(examples, 'vitest', 'demo.mjs')],
  ['Jest', join(examples, 'jest', 'demo.mjs')],
  ['Mocha', join(examples, 'mocha', 'demo.mjs')],
]
for (const [name, script] of demos) {
  if (!existsSync(script)) continue
  const bar = '═'.repeat(Math.max(0, 72 - name.length))
  console.log(`\n══ loopcop demo: ${name} ${bar}\n`)
  // The runners' exit codes are expected to be non-zero: the examples contain blocking code.
  spawnSync(process.execPath, [script], { cwd: dirname(script), stdio: 'inherit' })
}
