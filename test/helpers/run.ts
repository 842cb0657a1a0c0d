import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, lstatSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { onTestFinished } from 'vitest'

/** The repository root. */
export const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')
/** Fixture projects live here; `loopcop` resolves from them to the packed tarball installed in `node_modules`. */
export const fixtures = join(root, 'test', 'fixtures')
/** Where the global set-up installed the packed tarball (test/global-setup.ts): what a user's `node_modules/loopcop` holds. */
export const installed = join(fixtures, 'node_modules', 'loopcop')

/** Throws unless the global set-up installed the packed tarball (as a folder, not a link into the repository). */
export function assertInstalled(): void {
  if (!existsSync(join(installed, 'package.json')) || lstatSync(installed).isSymbolicLink()) {
    throw new Error(`${installed} is not an installed tarball: run the end-to-end tests through \`npm test\` (its global set-up packs and installs loopcop)`)
  }
}

/** The command-line entry of each runner installed as a dev dependency. */
export const bins = {
  vitest: join(root, 'node_modules', 'vitest', 'vitest.mjs'),
  jest: join(root, 'node_modules', 'jest', 'bin', 'jest.js'),
  mocha: join(root, 'node_modules', 'mocha', 'bin', 'mocha.js'),
  mocha11: join(root, 'node_modules', 'mocha11', 'bin', 'mocha.js'),
} as const

/** What a child run printed and how it exited. */
export interface RunResult {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
  /** stdout and stderr together, in no particular interleaving. */
  readonly output: string
}

/**
 * The environment of a child run, as a clean shell's: this process's, without its `LOOPCOP_*`,
 * Vitest's, Jest's and node:test's variables (`NODE_TEST_CONTEXT` would make a child node:test run
 * take itself for a test file's), GitHub's and `NODE_OPTIONS`; colours off; then `extra`
 * (`undefined`: left out).
 */
export function childEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: Record<string, string | undefined> = { ...process.env }
  for (const key of Object.keys(env)) {
    if (/^(LOOPCOP_|VITEST|JEST_|NODE_TEST_|GITHUB_)/.test(key) || key === 'NODE_OPTIONS') delete env[key]
  }
  return Object.assign(env, { NO_COLOR: '1', FORCE_COLOR: '0' }, extra) as NodeJS.ProcessEnv
}

/**
 * Runs a Node script (a runner's bin, an example) as a child process, with `LOOPCOP_*` and
 * CI variables of this process removed unless given, and colours off; with `node`, on that Node binary.
 */
export function runNode(script: string, args: readonly string[], options: { cwd: string; env?: Record<string, string | undefined>; timeoutMs?: number; nodeArgs?: readonly string[]; node?: string } ): Promise<RunResult> {
  const env = childEnv({ CI: 'true', ...options.env })
  return runChild(options.node ?? process.execPath, [...(options.nodeArgs ?? []), script, ...args], { cwd: options.cwd, env, timeoutMs: options.timeoutMs ?? 120_000 })
}

/** Children started by `startChild` that have not closed yet. */
const live = new Set<ChildProcess>()
let killOnExit = false

/**
 * Starts `bin` in a process group of its own, so that it can be killed together with the processes
 * it starts (a runner's workers and test-file processes, which hold its output pipes open: killing
 * the runner alone left them running, and its `close` never came). Whatever is still running when
 * the test that started it ends (a Vitest time-out), or when this test process exits, is killed so.
 */
export function startChild(bin: string, args: readonly string[], options: { readonly cwd: string; readonly env: NodeJS.ProcessEnv; readonly stdin?: 'ignore' | 'pipe' }): ChildProcess {
  const child = spawn(bin, args, { cwd: options.cwd, env: options.env, stdio: [options.stdin ?? 'ignore', 'pipe', 'pipe'], detached: true })
  live.add(child)
  child.on('close', () => live.delete(child))
  if (!killOnExit) {
    killOnExit = true
    process.on('exit', () => {
      for (const running of live) killGroup(running)
    })
  }
  try {
    onTestFinished(() => {
      if (live.has(child)) killGroup(child)
    })
  } catch {
    // Started from a hook, not a test: killed at its time-out or when this process exits.
  }
  return child
}

/** Kills `child` and every process of its group (see `startChild`). */
export function killGroup(child: ChildProcess): void {
  try {
    if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL')
  } catch {
    // The group is gone already.
  }
}

/**
 * Runs `bin` (see `startChild`) to its end and collects its output. One that has not ended within
 * `timeoutMs` is killed with its group, and the promise fails saying so, with what it printed.
 */
export function runChild(bin: string, args: readonly string[], options: { readonly cwd: string; readonly env: NodeJS.ProcessEnv; readonly timeoutMs: number }): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child = startChild(bin, args, options)
    let stdout = ''
    let stderr = ''
    let timedOut = false
    child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d))
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d))
    const timer = setTimeout(() => {
      timedOut = true
      killGroup(child)
    }, options.timeoutMs)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      const output = `${stdout}\n${stderr}`
      if (timedOut) reject(new Error(`${[bin, ...args].join(' ')} (in ${options.cwd}) had not ended after ${options.timeoutMs} ms and was killed with the processes it started; its output:\n${output}`))
      else resolvePromise({ code, stdout, stderr, output })
    })
  })
}
