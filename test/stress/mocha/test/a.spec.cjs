/* global before, it, __filename */
/* eslint-disable @typescript-eslint/no-require-imports -- a CommonJS fixture */
// Stress fixture (a): [clean] tests must never be charged a stall, each [stalls] test exactly one, with a stack.
const assert = require('node:assert')
const { bigJson, busyLoop, parseBig, waitAround } = require('../work.cjs')

let json = ''
before(() => {
  json = bigJson(600_000)
})

for (let i = 0; i < 12; i++) {
  it(`[clean] a waits on timers and file reads ${i}`, async () => {
    assert.ok((await waitAround(__filename)) > 0)
  })
}

it('[stalls] parses a large JSON document', () => {
  assert.strictEqual(parseBig(json), 600_000)
})

it('[stalls] crunches numbers in a busy loop', () => {
  assert.ok(busyLoop(300) > 0)
})
