import { join } from 'node:path'
import { expect, test } from 'vitest'
import { fixtures, runNode } from '../helpers/run.js'

const dir = join(fixtures, 'core')
const MB = 1024 * 1024

interface MemoryRun {
  before: number
  inside: number
  after: number
  findings: number
  calls: number
  blocking: number
  operations: string[]
}

// In a child process with --expose-gc, so the heap is measured after full collections. Memory is
// asserted on, never time.
async function measure(scenario: string, calls: number): Promise<MemoryRun> {
  const run = await runNode(join(dir, 'memory.mjs'), [scenario, String(calls)], { cwd: dir, nodeArgs: ['--expose-gc'], timeoutMs: 300_000 })
  expect(run.stderr).toBe('')
  expect(run.code).toBe(0)
  return JSON.parse(run.stdout) as MemoryRun
}

test('a million blocking calls in one detect() scope: heap grows < 10 MB, every call counted', { timeout: 300_000 }, async () => {
  const r = await measure('violating', 1_000_000)
  expect(r.operations).toEqual(['fs.existsSync'])
  expect(r.calls).toBe(1_000_000)
  // The first calls keep a stack (one site: one finding, the violation), the rest are counted and
  // timed only: not judged, so never violations (the test fails on the first ones anyway).
  expect(r.blocking).toBe(100)
  expect(r.findings).toBe(2)
  expect(r.inside - r.before).toBeLessThan(10 * MB)
  expect(r.after - r.before).toBeLessThan(10 * MB)
})

test('a million calls each allowed by a caller rule (each one judged): heap grows < 10 MB, every call counted', { timeout: 300_000 }, async () => {
  const r = await measure('allowed-by-frame', 1_000_000)
  expect(r.operations).toEqual(['fs.existsSync'])
  expect(r.calls).toBe(1_000_000)
  expect(r.blocking).toBe(0)
  expect(r.inside - r.before).toBeLessThan(10 * MB)
  expect(r.after - r.before).toBeLessThan(10 * MB)
})

test('blocking calls leaked past their scope aggregate too: heap grows < 10 MB, every call counted', { timeout: 300_000 }, async () => {
  // Fewer calls: each leaked call is judged on its own stack (a leak is rare, and reported at once).
  const r = await measure('leaked', 200_000)
  expect(r.operations).toEqual(['fs.existsSync'])
  expect(r.calls).toBe(200_000)
  expect(r.blocking).toBe(200_000)
  expect(r.findings).toBe(1)
  expect(r.inside - r.before).toBeLessThan(10 * MB)
  expect(r.after - r.before).toBeLessThan(10 * MB)
})
