import { join } from 'node:path'
import { installTarball, packLoopcop } from '../scripts/lib/pack.mjs'
import { fixtures, root } from './helpers/run.js'

/**
 * Packs loopcop once per run of the project's own suite and installs the tarball into the fixture
 * projects' `node_modules`: every end-to-end test runs what a user installs, not the working tree.
 */
export default function setup(): void {
  const tarball = packLoopcop(join(root, '.loopcop', 'pack'))
  installTarball(tarball, join(fixtures, 'node_modules'))
}
