// The Node binaries of the supported majors other than the running one, installed from the
// registry's `node-<platform>-<arch>` package into .cache/node/<major> (never into a
// node_modules/.bin on the PATH, so they never shadow the system `node`). Used by the version
// matrix and by the test suite's global set-up (the node:test end-to-end tests run on all four).
import { execFile } from 'node:child_process'
import { existsSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { root } from './pack.mjs'

/** The Node majors loopcop supports. */
export const NODE_MAJORS = [20, 22, 24, 26]

const INSTALL_TIMEOUT_MS = 10 * 60_000

/** Where the binary of a major is installed. */
export function nodeBinaryPath(major) {
  return join(root, '.cache', 'node', String(major), 'node_modules', `node-${process.platform}-${process.arch}`, 'bin', 'node')
}

function run(command, args, timeout) {
  return new Promise((resolve) => {
    execFile(command, args, { cwd: root, timeout, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : 1, output: `${stdout}${stderr}` })
    })
  })
}

/**
 * The Node binary of a major, installed when missing or broken: resolves to
 * `{ bin, version, source }` or `{ error }`. The running Node stands for its own major.
 */
export async function prepareNode(major) {
  if (Number(process.versions.node.split('.')[0]) === major) return { bin: process.execPath, version: process.versions.node, source: 'system' }
  const pkg = `node-${process.platform}-${process.arch}`
  const prefix = join(root, '.cache', 'node', String(major))
  const bin = nodeBinaryPath(major)
  const version = () => run(bin, ['--version'], 30_000)
  let r = existsSync(bin) ? await version() : undefined
  // Missing, or broken (an install cut short): (re)installed. Delete .cache/node to get newer patches.
  if (r?.code !== 0) {
    rmSync(prefix, { recursive: true, force: true })
    const i = await run('npm', ['install', '--no-save', '--no-package-lock', '--no-audit', '--no-fund', '--prefix', prefix, `${pkg}@${major}`], INSTALL_TIMEOUT_MS)
    if (i.code !== 0 || !existsSync(bin)) return { error: `npm install ${pkg}@${major} failed (exit ${i.code}):\n${i.output}` }
    r = await version()
    if (r.code !== 0) return { error: `${bin} --version failed:\n${r.output}` }
  }
  return { bin, version: r.output.trim().replace(/^v/, ''), source: pkg }
}
