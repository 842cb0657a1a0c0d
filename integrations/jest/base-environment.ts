/**
 * `jest-environment-node`, the class `loopcop/jest/environment` extends, found wherever the user's
 * install put it.
 *
 * It is an optional peer of loopcop. npm's hoisting (and pnpm's, which also installs optional
 * peers a project has) usually lets loopcop `require` it, but Yarn PnP gives loopcop an undeclared
 * peer only when the user's project declares it, and pnpm with `hoist: false` only when the project
 * has it. Jest itself always has it (`jest-runner` and `jest-config` depend on it), so when
 * loopcop cannot see it, the copy the running Jest loaded its runner from is used: the version
 * that matches that Jest. Then the project's (the working directory's), for a Jest run without
 * `jest-runner` in this process.
 * @module
 */
import type { TestEnvironment } from 'jest-environment-node'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { installedVersion, unsupportedRunner } from '../../src/runner/runner-version.js'
import { ownFile } from '../own-file.js'

/** Jest packages that depend on `jest-environment-node` and are loaded wherever environments are. */
const JEST_PACKAGES = /[\\/]node_modules[\\/](jest-runner|jest-config)[\\/]/

/** Where to resolve `jest-environment-node` from, in order: a label for the error, and an issuer file. */
function candidates(): Array<[where: string, from: string]> {
  const out: Array<[string, string]> = []
  const own = ownFile()
  if (own !== undefined) out.push(['loopcop', own])
  // Module._cache: `require.cache` of any `require`, the same object.
  const loaded = Object.keys(createRequire(join(process.cwd(), 'package.json')).cache)
  for (const name of ['jest-runner', 'jest-config']) {
    const file = loaded.find((path) => JEST_PACKAGES.exec(path)?.[1] === name)
    if (file !== undefined) out.push([`Jest (${name})`, file])
  }
  out.push([`the project (${process.cwd()})`, join(process.cwd(), 'package.json')])
  return out
}

/**
 * Loads `jest-environment-node` from the first place that resolves it (see the module comment).
 * Only resolution falls through to the next place: an error loading the package found is thrown.
 */
export function loadNodeEnvironment(): typeof TestEnvironment {
  const tried: string[] = []
  let firstError: unknown
  for (const [where, from] of candidates()) {
    let path: string
    const load = createRequire(from)
    try {
      path = load.resolve('jest-environment-node')
    } catch (error) {
      firstError ??= error
      tried.push(where)
      continue
    }
    const found = (load(path) as { TestEnvironment?: unknown }).TestEnvironment
    if (typeof found !== 'function') throw notAnEnvironment(from, path)
    return found as typeof TestEnvironment
  }
  throw new Error(
    `loopcop/jest/environment extends jest-environment-node, and it could not be found from ${tried.join(', nor from ')}. ` +
      'Add it to your devDependencies at the version of your Jest (npm i -D jest-environment-node, yarn add -D jest-environment-node, pnpm add -D jest-environment-node).',
    { cause: firstError },
  )
}

/**
 * The error for a `jest-environment-node` without a `TestEnvironment` class: up to Jest 27 the
 * package exported the class itself, so that is the one error an older Jest gets ("needs Jest 29
 * or later"), instead of one about `withLoopcop()` given `undefined`.
 */
function notAnEnvironment(from: string, path: string): Error {
  // As the package was resolved: from the issuer's folder.
  const version = installedVersion('jest-environment-node', dirname(from))
  return (
    unsupportedRunner('Jest', version) ??
    new TypeError(`loopcop/jest/environment extends jest-environment-node's TestEnvironment class, and the jest-environment-node at ${path} (version ${version ?? 'unknown'}) exports none.`)
  )
}

/** `jest-environment-node`'s `TestEnvironment`, as `loadNodeEnvironment` found it. */
export const NodeEnvironment: typeof TestEnvironment = loadNodeEnvironment()
