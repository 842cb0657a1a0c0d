// Which part a process plays in a node:test run, decided before loopcop's core is loaded: the
// process of `node --test` that starts the test processes, a test process, a CLI or a worker
// thread a test started. Only a process that runs tests loads the core (`loopcop/node-test`
// loads it lazily): a worker thread or a CLI that inherited `--import loopcop/node-test` would
// pay ~30 ms of CPU each for nothing (bench/README.md, "Sixty-second pass").
import { readFileSync } from 'node:fs'
import { nodeFlags } from '../runtime/node-flags.js'

/**
 * Whether this process runs tests: a test process of `node --test` or of node:test's `run()` (as
 * borp uses it: `NODE_TEST_CONTEXT` is set), the one process of `node --test
 * --test-isolation=none`, or a test file run as `node --import loopcop/node-test file.js`. Not the
 * process of `node --test` that starts the test processes: it loads `--require` modules too (never
 * `--import` ones), and registering hooks there would give it a test tree of its own. Nor a process
 * loopcop reached only through `NODE_OPTIONS` (the way to a runner built on `run()`) that no
 * test runner started: the runner's own process, or any script run beside it (see `namedHere`).
 */
export function runsTests(execArgv: readonly string[] = process.execArgv, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NODE_TEST_CONTEXT !== undefined && env.NODE_TEST_CONTEXT !== '') return true
  if (!execArgv.includes('--test')) return namedHere(execArgv)
  const args = nodeFlags(execArgv, env.NODE_OPTIONS ?? '')
  return args.some((arg, i) => /^--(experimental-)?test-isolation=none$/.test(arg) || (/^--(experimental-)?test-isolation$/.test(arg) && args[i + 1] === 'none'))
}

/**
 * Whether loopcop/node-test is named on this process's own command line (`--import
 * loopcop/node-test`, `--require` of it or of its file), not only in the `NODE_OPTIONS` it
 * inherited. There, registering loopcop's root hooks would make node:test's harness in a process
 * that runs no test: node:test would print an empty test report on its stdout at exit (a runner's
 * own output, `node -p`'s) and turn an uncaught error's exit code 1 into 7.
 */
export function namedHere(execArgv: readonly string[] = process.execArgv): boolean {
  return execArgv.some((arg) => /loopcop[\\/]node-test\b|[\\/]integrations[\\/]node-test[\\/]index\.[cm]?js$/.test(arg))
}

/**
 * Set to its own pid by every process that runs tests with loopcop: a process whose parent's pid it
 * holds was started by a test (`spawn(process.execPath, process.execArgv)` inherits
 * `--import loopcop/node-test` and `NODE_TEST_CONTEXT`), not by node:test to run a test file.
 */
export const TEST_PROCESS_ENV = 'LOOPCOP_TEST_PROCESS'

/**
 * Whether this process was started by a test of a process that runs tests with loopcop (see
 * `TEST_PROCESS_ENV`), rather than by node:test to run test files. Marks this process for its own
 * children either way.
 */
export function startedByATest(env: NodeJS.ProcessEnv = process.env, ppid: number = process.ppid, pid: number = process.pid): boolean {
  const byATest = env[TEST_PROCESS_ENV] === String(ppid)
  env[TEST_PROCESS_ENV] = String(pid)
  return byATest
}

/**
 * Whether the main module of a process a test started may run node:test tests: its source names
 * `node:test` (or cannot be read). A CLI under test, started with the test process's options, does
 * not: registering loopcop's root hooks there would make node:test's tree, and node:test would
 * append its report (0 tests) to the CLI's own output when it exits.
 */
export function mainModuleMayTest(file: string | undefined = process.argv[1]): boolean {
  if (file === undefined) return false
  try {
    return readFileSync(file, 'utf8').includes('node:test')
  } catch {
    return true
  }
}
