/* global __filename */
/* eslint-disable @typescript-eslint/no-require-imports -- a CommonJS fixture */
// Stress fixture (a): [clean] tests must never be charged a stall, each [stalls] test exactly one, with a stack.
// node:test runs each file in a process of its own, where loopcop starts its stall watchdog as it loads.
const assert = require('node:assert')
const { before, test } = require('node:test')
const { bigJson, busyLoop, parseBig, waitAround } = require('../work.cjs')

let json = ''
before(() => {
  json = bigJson(600_000)
})

for (let i = 0; i < 12; i++) {
  test(`[clean] a waits on timers and file reads ${i}`, async () => {
    assert.ok((await waitAround(__filename)) > 0)
  })
}

test('[stalls] parses a large JSON document', () => {
  assert.strictEqual(parseBig(json), 600_000)
})

test('[stalls] crunches numbers in a busy loop', () => {
  assert.ok(busyLoop(300) > 0)
})
