// Packs loopcop as `npm publish` would and installs the tarball where tests, the demo, the version
// matrix and the package-manager smoke runs need it: they all run what a user installs, under its
// real package name, never the working tree through a link.
import { execFileSync } from 'node:child_process'
import { existsSync, lstatSync, mkdirSync, readFileSync, rmSync, unlinkSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The repository root. */
export const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')

/**
 * Runs `npm pack` on the built repository into `destination` and returns the tarball's absolute
 * path. Throws when `dist/` is missing: packing an unbuilt tree would publish nothing useful.
 */
export function packLoopcop(destination) {
  if (!existsSync(join(root, 'dist', 'esm', 'src', 'index.js'))) {
    throw new Error('loopcop: dist/ is missing, so there is nothing to pack: run `npm run build` first')
  }
  mkdirSync(destination, { recursive: true })
  const out = execFileSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', destination], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] })
  const [info] = JSON.parse(out)
  return join(destination, info.filename)
}

/**
 * Installs a packed tarball into `nodeModules/loopcop`, replacing what was there. loopcop has no
 * dependencies and no install scripts, so this is what `npm install <tarball>` does for it; it
 * takes a few milliseconds where npm would take seconds per fixture folder.
 */
export function installTarball(tarball, nodeModules) {
  const target = join(nodeModules, 'loopcop')
  // A link left by an older checkout (into the repository) goes, the repository stays.
  if (lstatSafe(target)?.isSymbolicLink()) unlinkSync(target)
  rmSync(target, { recursive: true, force: true })
  mkdirSync(target, { recursive: true })
  execFileSync('tar', ['-xzf', tarball, '-C', target, '--strip-components=1'], { stdio: 'inherit' })
  const manifest = JSON.parse(readFileSync(join(target, 'package.json'), 'utf8'))
  if (manifest.name !== 'loopcop') throw new Error(`loopcop: ${tarball} is not a loopcop tarball (name: ${manifest.name})`)
  return target
}

function lstatSafe(path) {
  try {
    return lstatSync(path)
  } catch {
    return undefined
  }
}
