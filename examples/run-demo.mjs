// `npm run demo`: loopcop catching blocking calls in the example app, first with the core API,
// then under each test runner whose example is present (examples/<runner>/demo.mjs).
import { existsSync } from 'node:fs'
import { installTarball, packLoopcop } from '../scripts/lib/pack.mjs'
import { spawnSync } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const examples = dirname(fileURLToPath(import.meta.url))
const root = dirname(examples)

// The examples import 'loopcop' as a user would: from the packed tarball, installed into
// examples/node_modules as `npm install loopcop` would.
installTarball(packLoopcop(join(root, '.loopcop', 'pack')), join(examples, 'node_modules'))

const demos = [
  ['core API: detect()', join(examples, 'core', 'demo.mjs')],
  ['Vitest', join(examples, 'vitest', 'demo.mjs')],
  ['Jest', join(examples, 'jest', 'demo.mjs')],
  ['Mocha', join(examples, 'mocha', 'demo.mjs')],
  ['node:test', join(examples, 'node-test', 'demo.mjs')],
]
for (const [name, script] of demos) {
  if (!existsSync(script)) continue
  const bar = '═'.repeat(Math.max(0, 72 - name.length))
  console.log(`\n══ loopcop demo: ${name} ${bar}\n`)
  // The runners' exit codes are expected to be non-zero: the examples contain blocking code.
  spawnSync(process.execPath, [script], { cwd: dirname(script), stdio: 'inherit' })
}
