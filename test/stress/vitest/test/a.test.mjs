// Stress fixture (a): [clean] tests must never be charged a stall, each [stalls] test exactly one, with a stack.
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import { beforeAll, expect, test } from 'vitest'

const require = createRequire(import.meta.url)
const { bigJson, busyLoop, parseBig, waitAround } = require('../work.cjs')
const self = fileURLToPath(import.meta.url)
let json = ''
beforeAll(() => {
  json = bigJson(600_000)
})

for (let i = 0; i < 12; i++) {
  test(`[clean] a waits on timers and file reads ${i}`, async () => {
    expect(await waitAround(self)).toBeGreaterThan(0)
  })
}

test('[stalls] parses a large JSON document', () => {
  expect(parseBig(json)).toBe(600_000)
})

test('[stalls] crunches numbers in a busy loop', () => {
  expect(busyLoop(300)).toBeGreaterThan(0)
})
