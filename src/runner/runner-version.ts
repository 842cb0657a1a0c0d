// Which runner versions loopcop supports, and the one clear error a too-old one gets. Without it a
// Vitest 0.34 project failed with "Cannot read properties of undefined (reading 'extend')".
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { projectCwd } from '../runtime/cwd.js'

/** The runners whose integrations check their version, with the majors the version matrix proves. */
export const SUPPORTED_RUNNERS = {
  Vitest: { packageName: 'vitest', minimum: 4, tested: '4 and 5', entry: 'loopcop/vitest' },
  Jest: { packageName: 'jest-environment-node', minimum: 29, tested: '29 and 30', entry: 'loopcop/jest' },
  // Mocha 7 loads `loopcop/mocha` and runs its tests, but knows neither root hooks nor global
  // fixtures (Mocha 8): no run summary, no JSON report, and nothing said (nunjucks, on Mocha 7.2).
  Mocha: { packageName: 'mocha', minimum: 10, tested: '10, 11 and 12', entry: 'loopcop/mocha' },
} as const

/** A runner loopcop checks the version of. */
export type CheckedRunner = keyof typeof SUPPORTED_RUNNERS

/**
 * The installed version of a package as the user's project resolves it (from the working
 * directory, the project root for every runner), or `undefined` when it cannot be read: then
 * nothing is checked, since a check that cannot see the version must not stop a run.
 */
export function installedVersion(packageName: string, from: string = projectCwd()): string | undefined {
  try {
    const manifest = createRequire(join(from, 'package.json'))(`${packageName}/package.json`) as { version?: unknown }
    return typeof manifest.version === 'string' ? manifest.version : undefined
  } catch {
    return undefined
  }
}

/**
 * The error for a runner older than loopcop supports, or `undefined` when the version is
 * supported or unknown.
 * @example unsupportedRunner('Vitest', '0.34.6')?.message
 * // "loopcop/vitest needs Vitest 4 or later, and this project has Vitest 0.34.6 …"
 */
export function unsupportedRunner(runner: CheckedRunner, version: string | undefined): Error | undefined {
  if (version === undefined) return undefined
  const major = Number.parseInt(version, 10)
  const { minimum, tested, packageName, entry } = SUPPORTED_RUNNERS[runner]
  if (!Number.isInteger(major) || major >= minimum) return undefined
  // The package whose version was read, by name where it is not the runner's own (dayjs on Jest 22:
  // "Jest 22.4.3" was jest-environment-node's, where `jest --version` said 22.4.4).
  const has = packageName === runner.toLowerCase() ? `${runner} ${version}` : `${packageName} ${version}`
  return new Error(
    `${entry} needs ${runner} ${minimum} or later, and this project has ${has}. loopcop is tested with ${runner} ${tested}: upgrade ${runner}, or use loopcop's core API (detect(), assertNoBlocking()) without the ${runner} integration.`,
  )
}

/** Throws `unsupportedRunner`'s error when the project's runner is too old for loopcop. */
export function assertSupportedRunner(runner: CheckedRunner): void {
  const error = unsupportedRunner(runner, installedVersion(SUPPORTED_RUNNERS[runner].packageName))
  if (error !== undefined) throw error
}
