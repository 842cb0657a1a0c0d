import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { NODE_MAJORS, prepareNode } from '../scripts/lib/node-versions.mjs'
import { installTarball, packLoopcop } from '../scripts/lib/pack.mjs'
import { fixtures, root } from './helpers/run.js'

/**
 * Packs loopcop once per run of the project's own suite and installs the tarball into the fixture
 * projects' `node_modules`: every end-to-end test runs what a user installs, not the working tree.
 * Installs the Node binaries of the other supported majors too (once; cached in .cache/node): the
 * node:test end-to-end tests run on every one of them, never skipped.
 *
 * The run's temporary files (every test's `mkdtempSync(tmpdir())`, the runners' own) go to one
 * folder of this run, set as `TMPDIR` before any test worker starts and removed at the end: a run
 * of the suite leaves nothing in the system's temporary folder (it left ~40 folders before).
 */
export default async function setup(): Promise<() => void> {
  const saved = { TMPDIR: process.env.TMPDIR, TMP: process.env.TMP, TEMP: process.env.TEMP }
  const runTmp = mkdtempSync(join(tmpdir(), 'loopcop-test-run-'))
  process.env.TMPDIR = process.env.TMP = process.env.TEMP = runTmp
  const teardown = (): void => {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name]
      else process.env[name] = value
    }
    rmSync(runTmp, { recursive: true, force: true })
  }
  try {
    const tarball = packLoopcop(join(root, '.loopcop', 'pack'))
    installTarball(tarball, join(fixtures, 'node_modules'))
    const nodes = await Promise.all(NODE_MAJORS.map(async (major) => ({ major, result: await prepareNode(major) })))
    const failed = nodes.filter((n) => 'error' in n.result)
    if (failed.length > 0) {
      throw new Error(`The test suite needs Node ${failed.map((n) => n.major).join(', ')} (node:test runs on every supported Node), and installing it failed:\n${failed.map((n) => ('error' in n.result ? n.result.error : '')).join('\n')}`)
    }
  } catch (error) {
    // No test runs, so no teardown is asked for: the run's folder goes now.
    teardown()
    throw error
  }
  return teardown
}
