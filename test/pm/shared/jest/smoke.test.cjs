const { allowBlocking } = require('loopcop')
const { loadConfig, loadConfigSync } = require('../src/config.cjs')

test('blocking read fails', () => {
  expect(loadConfigSync().name).toBe('smoke')
})

test('async read passes', async () => {
  expect((await loadConfig()).name).toBe('smoke')
})

test('allowBlocking passes', () => {
  allowBlocking()
  expect(loadConfigSync().name).toBe('smoke')
})
