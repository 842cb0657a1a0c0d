import fs from 'node:fs'
import { expect, test } from 'vitest'
import { detect } from '../../src/index.js'

test('detect() reports a readFileSync with the line of the call', async () => {
  const { blocking } = await detect(() => fs.readFileSync(__filename))
  expect(blocking).toHaveLength(1)
  const f = blocking[0]!
  expect(f.kind === 'sync-io' && f.operation).toBe('fs.readFileSync')
  expect(f.location?.file).toMatch(/smoke\.test\.ts$/)
  expect(f.location?.line).toBe(6)
})
