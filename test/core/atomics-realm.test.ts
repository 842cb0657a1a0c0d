import vm from 'node:vm'
import { describe, expect, test } from 'vitest'
import { activate, deactivate, detect, patchRealm } from '../../src/index.js'
import { unpatchRealm } from '../helpers/detector.js'
import { defaultsWithoutStalls, syncIo } from './support.js'

defaultsWithoutStalls()

const WAIT = 'Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1)'

/** A new realm: the contextified object, and the realm's own global (with its own Atomics). */
function realm(): { context: vm.Context; global: typeof globalThis } {
  const context = vm.createContext()
  return { context, global: vm.runInContext('globalThis', context) as typeof globalThis }
}

describe('Atomics.wait in another realm', () => {
  test('is not seen before patchRealm (each realm has its own Atomics)', async () => {
    activate()
    const { context, global } = realm()
    expect(global.Atomics).not.toBe(Atomics)
    const { value, findings } = await detect(() => vm.runInContext(WAIT, context) as string)
    expect(value).toBe('timed-out')
    expect(findings).toEqual([])
  })

  test('is caught after patchRealm(realm global), keeping the original’s name, length and result', async () => {
    const { context, global } = realm()
    const original = global.Atomics.wait
    patchRealm(global)
    expect(global.Atomics.wait).not.toBe(original)
    expect([global.Atomics.wait.name, global.Atomics.wait.length]).toEqual([original.name, original.length])
    const { value, findings } = await detect(() => vm.runInContext(WAIT, context) as string)
    expect(value).toBe('timed-out')
    expect(syncIo(findings).map((f) => [f.operation, f.category, f.calls])).toEqual([['Atomics.wait', 'atomics', 1]])
    // Patching twice wraps once.
    patchRealm(global)
    const again = await detect(() => vm.runInContext(WAIT, context) as string)
    expect(again.findings.map((f) => f.calls)).toEqual([1])
    unpatchRealm(global)
    expect(global.Atomics.wait).toBe(original)
  })

  test('patchRealm() also takes the contextified object vm.createContext() returned', async () => {
    const { context, global } = realm()
    const original = global.Atomics.wait
    patchRealm(context)
    expect(global.Atomics.wait).not.toBe(original)
    const { findings } = await detect(() => vm.runInContext(WAIT, context) as string)
    expect(syncIo(findings).map((f) => f.operation)).toEqual(['Atomics.wait'])
    unpatchRealm(context)
    expect(global.Atomics.wait).toBe(original)
  })

  test('deactivate() restores every patched realm', () => {
    const { global } = realm()
    const original = global.Atomics.wait
    patchRealm(global)
    deactivate()
    expect(global.Atomics.wait).toBe(original)
  })
})
