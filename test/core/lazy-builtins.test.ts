import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import { fixtures, runNode } from '../helpers/run.js'
import { type NodeMajor, missing, nodes } from '../node-test/support.js'

const dir = join(fixtures, 'core')
const LAZY = ['child_process', 'zlib', 'crypto']

interface Out {
  node: string
  before: string[]
  atInstall: string[]
  afterImport?: string[]
  importCaptured?: string[]
  processChunk?: string[]
  handleStep?: string[]
  required?: string[]
  getBuiltinModule?: string[]
  end?: string[]
  getBuiltinModuleRestored: boolean
  afterMany?: string[]
  wrappedOnActivate?: boolean
  restoredOnDeactivate?: boolean
  afterStubs?: string[]
  existsAfterStub?: boolean
  hostAfterStub?: boolean
  hostAfterMark?: boolean
  markedQuery?: string[]
  markedHostImport?: string[]
  unmarkedHostImport?: string[]
}

async function run(bin: string | undefined, major: NodeMajor, args: string[] = []): Promise<Out> {
  if (bin === undefined) throw new Error(missing(major))
  const result = await runNode(join(dir, 'lazy-builtins.mjs'), args, { cwd: dir, node: bin })
  expect(result.stderr).toBe('')
  expect(result.code).toBe(0)
  return JSON.parse(result.stdout) as Out
}

/** Whether this Node has `module.registerHooks` (22.15 and later): loopcop then wraps them on first use. */
const onFirstUse = (version: string): boolean => {
  const [major = 0, minor = 0] = version.split('.').map(Number)
  return major > 22 || (major === 22 && minor >= 15)
}

describe.each(nodes)('child_process, zlib and crypto on Node $major', ({ major, bin }) => {
  test('are wrapped before any code gets them, however it asks', async () => {
    const out = await run(bin, major)
    expect(out.before).toEqual([])
    if (onFirstUse(out.node)) {
      // Not loaded by loopcop: a process that never uses them does not pay for loading them.
      expect(out.atInstall).toEqual([])
      expect(out.afterImport).toEqual(['zlib'])
    } else {
      expect(out.atInstall.sort()).toEqual([...LAZY].sort())
    }
    // A copy taken at the top level of an ES module imported after loopcop started.
    expect(out.importCaptured).toEqual(['zlib.gzipSync'])
    expect(out.processChunk).toEqual(['zlib.deflateSync', 'zlib.processChunkSync'])
    expect(out.handleStep).toEqual(['zlib.handle.writeSync'])
    expect(out.required).toEqual(['crypto.pbkdf2Sync'])
    expect(out.getBuiltinModule).toEqual(['child_process.execFileSync'])
    expect(out.end?.sort()).toEqual([...LAZY].sort())
    expect(out.getBuiltinModuleRestored).toBe(true)
  })

  test('a process that loads many modules without asking for them has them wrapped, and the hook gone, after 200', async () => {
    const out = await run(bin, major, ['many'])
    if (onFirstUse(out.node)) expect(out.atInstall).toEqual([])
    expect(out.afterMany?.sort()).toEqual([...LAZY].sort())
    expect(out.getBuiltinModuleRestored).toBe(true)
    expect(out.required).toEqual(['zlib.gzipSync'])
  })

  test("wrapping one on first use, or marking an object as blocking, leaves builtins' imports alone: a stub a test put on one, and took away, never reaches an ES module's import of it", async () => {
    const out = await run(bin, major, ['stub'])
    expect(out.afterStubs?.sort()).toEqual([...LAZY].sort())
    expect(out.existsAfterStub).toBe(false)
    expect(out.hostAfterStub).toBe(true)
    // Nor does markAsBlocking on an object of the user's own, while loopcop is on (the mark works).
    expect(out.hostAfterMark).toBe(true)
    expect(out.markedQuery).toEqual(['Object.query'])
    // Marking a builtin's own export reaches an ES module's import of it; unmarking takes it away.
    expect(out.markedHostImport).toEqual(['os.hostname'])
    expect(out.unmarkedHostImport).toEqual([])
  })

  test('deactivate() before they are loaded leaves them, and process.getBuiltinModule, untouched', async () => {
    const out = await run(bin, major, ['deactivate'])
    expect(out.getBuiltinModuleRestored).toBe(true)
    expect(out.wrappedOnActivate).toBe(true)
    expect(out.restoredOnDeactivate).toBe(true)
  })
})
