/* global fetch */
// Stress fixture (b): [clean] tests must never be charged a stall, each [stalls] test exactly one, with a stack.
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import { beforeAll, expect, test } from 'vitest'

const require = createRequire(import.meta.url)
const { bigJson, waitAround } = require('../work.cjs')
const self = fileURLToPath(import.meta.url)
let json = ''
beforeAll(() => {
  json = bigJson(600_000)
})

for (let i = 0; i < 12; i++) {
  test(`[clean] b waits on timers and file reads ${i}`, async () => {
    expect(await waitAround(self)).toBeGreaterThan(0)
  })
}

test('[clean] first fetch() (Node compiles its bundled undici)', async () => {
  await fetch('http://127.0.0.1:9/').catch(() => undefined)
  expect(json.length).toBeGreaterThan(0)
})

test('[clean] imports a big module (TypeScript)', async () => {
  const ts = await import('typescript')
  expect(typeof (ts.default ?? ts).version).toBe('string')
})
