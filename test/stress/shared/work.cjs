/* eslint-disable @typescript-eslint/no-require-imports -- a CommonJS fixture */
// What the stress fixtures' tests do, the same for every runner. Stalls are bounded by CPU time,
// not wall time, so a machine that does not schedule the process cannot shorten them.
const fs = require('node:fs')
const { setTimeout: sleep } = require('node:timers/promises')

/** Burns `ms` of this thread's CPU time in one synchronous stretch (a stall). */
function busyLoop(ms) {
  const start = process.threadCpuUsage ? process.threadCpuUsage().user : process.cpuUsage().user
  const now = () => (process.threadCpuUsage ? process.threadCpuUsage().user : process.cpuUsage().user)
  let x = 0
  while (now() - start < ms * 1000) x += Math.sqrt(x + 1) // stalls: busy loop
  return x
}

/** A JSON document of `items` entries, built outside the tests. */
function bigJson(items) {
  return JSON.stringify({ items: Array.from({ length: items }, (_, i) => ({ id: i, name: `item ${i}`, tags: ['a', 'b'] })) })
}

/** One long native call (a stall no JS frame interrupts until it returns). */
function parseBig(json) {
  const doc = JSON.parse(json) // stalls: native parse
  return countItems(doc)
}

function countItems(doc) {
  return doc.items.length
}

/** A clean test's work: timers, promises and async file reads. */
async function waitAround(file) {
  await sleep(5)
  const text = await fs.promises.readFile(file, 'utf8')
  await new Promise((resolve) => setImmediate(resolve))
  return text.length
}

module.exports = { busyLoop, bigJson, parseBig, waitAround }
