import { expect, test } from 'vitest'
import config from '../src/config.cjs'

test('matcher sees the blocking read', () => {
  expect(() => config.loadConfigSync()).toBlockEventLoop()
})
