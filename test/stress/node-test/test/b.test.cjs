/* global __filename, fetch */
/* eslint-disable @typescript-eslint/no-require-imports -- a CommonJS fixture */
// Stress fixture (b): [clean] tests must never be charged a stall, each [stalls] test exactly one, with a stack.
const assert = require('node:assert')
const { before, test } = require('node:test')
const { bigJson, waitAround } = require('../work.cjs')

let json = ''
before(() => {
  json = bigJson(600_000)
})

for (let i = 0; i < 12; i++) {
  test(`[clean] b waits on timers and file reads ${i}`, async () => {
    assert.ok((await waitAround(__filename)) > 0)
  })
}

test('[clean] first fetch() (Node compiles its bundled undici)', async () => {
  await fetch('http://127.0.0.1:9/').catch(() => undefined)
  assert.ok(json.length > 0)
})

test('[clean] requires a big module (TypeScript)', () => {
  assert.strictEqual(typeof require('typescript').version, 'string')
})
