import crypto from 'node:crypto'
import fs from 'node:fs'
import { basename } from 'node:path'
import zlib from 'node:zlib'
import { afterEach, describe, expect, test } from 'vitest'
import { detect, operations } from '../../src/index.js'
import { detector } from '../../src/core.js'
import { outsideScopes } from '../../src/integration.js'
import { catalog } from '../../src/model/operation.js'
import { isPresent, recipes, siteTarget, Workspace } from './recipes.js'
import { defaultsWithoutStalls, delay, syncIo, tempDir } from './support.js'

defaultsWithoutStalls()
const base = tempDir()
const workspaces: Workspace[] = []
function workspace(): Workspace {
  const ws = new Workspace(base)
  workspaces.push(ws)
  return ws
}
afterEach(() => {
  for (const ws of workspaces.splice(0)) ws.cleanup()
})

const [major = 0, minor = 0] = process.versions.node.split('.').map(Number)
const atLeast = (ma: number, mi: number) => major > ma || (major === ma && minor >= mi)

/** Every fs.*Sync of Node 20 that exists on every platform: 42 minus lchmodSync. */
const fsEverywhere = [
  'accessSync', 'appendFileSync', 'chmodSync', 'chownSync', 'closeSync', 'copyFileSync', 'cpSync', 'existsSync',
  'fchmodSync', 'fchownSync', 'fdatasyncSync', 'fstatSync', 'fsyncSync', 'ftruncateSync', 'futimesSync', 'lchownSync',
  'linkSync', 'lstatSync', 'lutimesSync', 'mkdirSync', 'mkdtempSync', 'openSync', 'opendirSync', 'readFileSync',
  'readSync', 'readdirSync', 'readlinkSync', 'readvSync', 'realpathSync', 'renameSync', 'rmSync', 'rmdirSync',
  'statSync', 'statfsSync', 'symlinkSync', 'truncateSync', 'unlinkSync', 'utimesSync', 'writeFileSync', 'writeSync',
  'writevSync',
].map((k) => `fs.${k}`)

const expectedEverywhere = [
  ...fsEverywhere,
  'fs.realpathSync.native',
  'fs.Dir#readSync',
  'fs.Dir#closeSync',
  'child_process.execSync',
  'child_process.execFileSync',
  'child_process.spawnSync',
  ...['deflateSync', 'deflateRawSync', 'gzipSync', 'gunzipSync', 'inflateSync', 'inflateRawSync', 'unzipSync', 'brotliCompressSync', 'brotliDecompressSync'].map((k) => `zlib.${k}`),
  'zlib.processChunkSync',
  ...['checkPrimeSync', 'generateKeyPairSync', 'generateKeySync', 'generatePrimeSync', 'hkdfSync', 'pbkdf2Sync', 'randomFillSync', 'scryptSync'].map((k) => `crypto.${k}`),
  ...['randomBytes', 'randomInt', 'sign', 'verify'].map((k) => `crypto.${k}`),
  'Atomics.wait',
]

/** Entries that exist only on some platforms or Node versions, with when they must be present. */
const conditional: Readonly<Record<string, boolean>> = {
  'fs.lchmodSync': process.platform === 'darwin',
  'fs.globSync': atLeast(22, 0),
  'zlib.zstdCompressSync': atLeast(22, 15),
  'zlib.zstdDecompressSync': atLeast(22, 15),
  'fs.mkdtempDisposableSync': atLeast(24, 4),
  'crypto.argon2Sync': atLeast(24, 7),
  'fs.openAsBlobSync': atLeast(26, 10),
}

/**
 * `*Sync` functions that are not operations of their own, and why: what they block on goes through
 * operations of the catalog (the version matrix runs this check on every Node major it covers).
 */
const notOperations: Readonly<Record<string, string>> = {
  // Node 26's experimental ZIP API: the iterator it returns serializes entries already compressed
  // (by `zlib.ZipEntry.createSync`, through `zlib.deflateRawSync`) or reads a file-backed entry
  // through `fs.readSync`.
  'zlib.createZipArchiveSync': 'serializes entries; their reads and compression are fs.readSync and zlib.deflateRawSync',
}

const present = catalog.filter(isPresent)

describe('the catalog', () => {
  test('has a call recipe for every entry (a new entry needs one here)', () => {
    const ids = catalog.map((s) => s.operation.id)
    expect(ids.filter((id) => recipes[id] === undefined)).toEqual([])
    expect(Object.keys(recipes).filter((id) => !ids.includes(id))).toEqual([])
  })

  test('ids are unique and their category matches their module', () => {
    const ids = catalog.map((s) => s.operation.id)
    expect(new Set(ids).size).toBe(ids.length)
    for (const { operation } of catalog) {
      const prefix = operation.id.split('.')[0]
      const category = prefix === 'Atomics' ? 'atomics' : prefix
      expect({ id: operation.id, category: operation.category }).toEqual({ id: operation.id, category })
      expect(operation.hint.length, operation.id).toBeGreaterThan(0)
    }
  })

  test('`operations` lists every catalog entry', () => {
    expect(operations.map((o) => o.id)).toEqual(catalog.map((s) => s.operation.id))
    expect(operations).toHaveLength(expectedEverywhere.length + Object.keys(conditional).length)
  })

  test(`every expected operation is present on Node ${process.versions.node} (${process.platform})`, () => {
    const presentIds = present.map((s) => s.operation.id)
    expect(expectedEverywhere).toHaveLength(70)
    expect(presentIds).toEqual(expect.arrayContaining(expectedEverywhere))
    for (const [id, shouldBe] of Object.entries(conditional)) expect({ id, present: presentIds.includes(id) }).toEqual({ id, present: shouldBe })
    // Nothing else is missing.
    const absent = catalog.filter((s) => !isPresent(s)).map((s) => s.operation.id)
    expect(absent.every((id) => id in conditional)).toBe(true)
  })

  test('covers every *Sync function of fs, zlib and crypto on this Node', () => {
    const ids = new Set(catalog.map((s) => s.operation.id))
    const syncs = (name: string, mod: object) =>
      Object.keys(mod)
        .filter((k) => k.endsWith('Sync') && typeof (mod as Record<string, unknown>)[k] === 'function')
        .map((k) => `${name}.${k}`)
    const missing = [...syncs('fs', fs), ...syncs('zlib', zlib), ...syncs('crypto', crypto)].filter((id) => !ids.has(id) && !(id in notOperations))
    expect(missing).toEqual([])
  })
})

describe.each(present.map((site) => [site.operation.id, site] as const))('%s', (id, site) => {
  const recipe = recipes[id]

  test('inside detect() is exactly one finding with its id and category', async () => {
    expect(recipe, `no recipe for ${id}`).toBeDefined()
    const call = recipe!(workspace())
    const { findings, blocking } = await detect(call)
    expect(findings).toHaveLength(1)
    const [f] = syncIo(findings)
    expect(f).toMatchObject({ kind: 'sync-io', operation: id, category: site.operation.category, hint: site.operation.hint, calls: 1, allowed: false, leak: false, raised: false })
    expect(blocking).toEqual(findings)
    // Attributed to the line of recipes.ts that made the call, never to loopcop or Node.
    expect(basename(f!.location?.file ?? '')).toBe('recipes.ts')
  })

  test('outside every scope is no finding', async () => {
    expect(recipe, `no recipe for ${id}`).toBeDefined()
    // A detect() scope is open while the call runs, but the call is not inside it.
    const pending = detect(() => delay(5))
    expect(detector.currentScope()).toBeUndefined()
    recipe!(workspace())()
    const call = recipe!(workspace())
    const inside = await detect(() => outsideScopes(call))
    expect((await pending).findings).toEqual([])
    expect(inside.findings).toEqual([])
    expect(typeof siteTarget(site)[site.key]).toBe('function')
  })
})
