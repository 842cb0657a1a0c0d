// Runs Jest on this example with loopcop, output straight to the terminal. Two tests fail on
// purpose (they block the event loop); the demo itself never fails because of them.
import { spawnSync } from 'node:child_process'
import { createRequire } from 'node:module'
import { dirname } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const jest = createRequire(import.meta.url).resolve('jest/bin/jest')
const run = spawnSync(process.execPath, [jest, '--ci'], { cwd: here, stdio: 'inherit' })
// Jest writes to stderr: the note goes there too, so that it comes after Jest's output.
if (run.error) process.stderr.write(`could not start jest: ${run.error.message}\n`)
else process.stderr.write(`\njest exited with code ${run.status}: the two failing tests are the ones that block the event loop.\n`)
