import fs from 'node:fs'
import { expect, test } from 'vitest'
import { allowBlocking, detect } from '../../src/index.js'
import { spinCpu } from '../helpers/spin.js'

// `mode` is about blocking calls, `stallMode` about stalls: `mode: 'off'` leaves stalls on.
test("mode: 'off' records no blocking call, yet a stall is still one, as stallMode says", async () => {
  const { findings, blocking } = await detect(
    () => {
      fs.statSync('.')
      spinCpu(250)
    },
    { mode: 'off', stallMode: 'fail' },
  )
  expect(findings.map((f) => f.kind)).toEqual(['stall'])
  expect(blocking).toHaveLength(1)
  expect(findings[0]!.frames.map((f) => f.fn)).toContain('spinCpu')
})

test("under mode: 'off', allowBlocking() and allowBlocking(fn) still allow stalls", async () => {
  const rest = await detect(
    () => {
      allowBlocking()
      spinCpu(250)
    },
    { mode: 'off' },
  )
  expect(rest.findings).toEqual([])
  const inside = await detect(() => allowBlocking(() => spinCpu(250)), { mode: 'off' })
  expect(inside.findings).toEqual([])
})
