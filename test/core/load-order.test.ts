// What loaded before loopcop, read from the CommonJS module cache (runner/load-order.ts).
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { expect, test } from 'vitest'
import { loadedBefore, loadOrderWarning } from '../../src/runner/load-order.js'

// jsonwebtoken's `nyc mocha` (nyc 14 and older): spawn-wrap's shim and its settings.json, outside
// the project, were named at every run as files to load after loopcop, which no user can do.
test('JSON, native addons and spawn-wrap’s shim hold no fs function: not named; a file outside the project is named by its absolute path', () => {
  const cwd = process.cwd()
  const cache = createRequire(join(cwd, 'package.json')).cache
  const home = join(dirname(cwd), '.node-spawn-wrap-8126-709e6054b691')
  const added = [join(home, 'node'), join(home, 'settings.json'), join(cwd, 'test/fixture.json'), join(cwd, 'build/addon.node'), join(cwd, 'test/setup.js'), join(dirname(cwd), 'shared/setup.js')]
  for (const file of added) cache[file] = { id: file, filename: file, loaded: true, exports: {} } as NodeJS.Module
  try {
    const { userFiles } = loadedBefore(() => false, cwd)
    expect(userFiles.filter((f) => added.some((a) => a.endsWith(f)))).toEqual(['test/setup.js', join(dirname(cwd), 'shared/setup.js')])
    expect(loadOrderWarning({ userFiles: ['test/setup.js'] }, 'loopcop/mocha', 'Put it first.')).toMatch(/^loopcop: test\/setup\.js was loaded before loopcop\/mocha: /)
  } finally {
    for (const file of added) delete cache[file]
  }
})
