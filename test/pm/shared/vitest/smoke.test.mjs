import { expect, test } from 'vitest'
import { allowBlocking } from 'loopcop'
import config from '../src/config.cjs'

test('blocking read fails', () => {
  expect(config.loadConfigSync().name).toBe('smoke')
})

test('async read passes', async () => {
  expect((await config.loadConfig()).name).toBe('smoke')
})

test('allowBlocking passes', () => {
  allowBlocking()
  expect(config.loadConfigSync().name).toBe('smoke')
})
