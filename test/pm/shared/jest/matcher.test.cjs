const { loadConfigSync } = require('../src/config.cjs')

test('matcher sees the blocking read', () => {
  expect(() => loadConfigSync()).toBlockEventLoop()
})
