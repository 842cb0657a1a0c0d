import { spawn } from 'node:child_process'
import { existsSync, lstatSync, mkdirSync, symlinkSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The repository root. */
export const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')
/** Fixture projects live here; `loopcop` resolves from them through a link to the repository. */
export const fixtures = join(root, 'test', 'fixtures')

/**
 * Makes `import 'loopcop'` / `require('loopcop')` resolve from every fixture project to this
 * repository (its built `dist/`), as it would from a user's `node_modules`.
 */
export function linkLoopcop(): void {
  const modules = join(fixtures, 'node_modules')
  const link = join(modules, 'loopcop')
  mkdirSync(modules, { recursive: true })
  try {
    lstatSync(link)
  } catch {
    symlinkSync(root, link, 'dir')
  }
  if (!existsSync(join(root, 'dist', 'esm', 'src', 'index.js'))) {
    throw new Error('dist/ is missing: run `npm run build` first (npm test does it for you)')
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
 * Runs a Node script (a runner's bin, an example) as a child process, with `LOOPCOP_*` and
 * CI variables of this process removed unless given, and colours off.
 */
export function runNode(script: string, args: readonly string[], options: { cwd: string; env?: Record<string, string | undefined>; timeoutMs?: number; nodeArgs?: readonly string[] } ): Promise<RunResult> {
  const env: Record<string, string | undefined> = { ...process.env }
  for (const key of Object.keys(env)) {
    if (key.startsWith('LOOPCOP_') || key.startsWith('VITEST') || key === 'GITHUB_ACTIONS' || key === 'NODE_OPTIONS' || key === 'JEST_WORKER_ID') delete env[key]
  }
  Object.assign(env, { NO_COLOR: '1', FORCE_COLOR: '0', CI: 'true' }, options.env)
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [...(options.nodeArgs ?? []), script, ...args], { cwd: options.cwd, env: env as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d))
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d))
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolvePromise({ code, stdout, stderr, output: `${stdout}\n${stderr}` })
    })
  })
}
