// Runs Mocha on the example app with loopcop/mocha (`require: ['loopcop/mocha']` in .mocharc.json).
// Three tests fail on purpose: they block the event loop. Never throws on test failures.
import { spawnSync } from 'node:child_process'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const mocha = join(dirname(createRequire(import.meta.url).resolve('mocha/package.json')), 'bin', 'mocha.js')

// Mocha `require`s 'loopcop/mocha' from its own folder. In a project both sit in node_modules;
// here Mocha is this repository's dev dependency, so NODE_PATH points at the examples' link.
const result = spawnSync(process.execPath, [mocha], {
  cwd: here,
  stdio: 'inherit',
  env: { ...process.env, NODE_PATH: join(here, '..', 'node_modules') },
})
if (result.error !== undefined) console.error(`could not run mocha: ${result.error.message}`)
else console.log(`\nmocha exited with ${result.status} (the number of failing tests)`)
