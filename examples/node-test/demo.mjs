// Runs Node's test runner on the example app with loopcop/node-test, and loopcop's run report next
// to the spec reporter. Four tests fail on purpose (three on Node 20, which has no t.assert.register):
// they block the event loop. Never throws on test failures.
import { spawnSync } from 'node:child_process'
import { dirname } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))

// `loopcop` resolves from here to examples/node_modules, where `npm run demo` installed the tarball.
const args = [
  '--test',
  '--import', 'loopcop/node-test',
  '--test-reporter=spec', '--test-reporter-destination=stdout',
  '--test-reporter=loopcop/node-test/reporter', '--test-reporter-destination=stderr',
  'app.test.mjs',
]
console.log(`$ node ${args.join(' ')}\n`)
const result = spawnSync(process.execPath, args, { cwd: here, stdio: 'inherit' })
if (result.error !== undefined) console.error(`could not run node --test: ${result.error.message}`)
else console.log(`\nnode --test exited with ${result.status}`)
