/* global test, expect, describe */
/* eslint-disable @typescript-eslint/no-require-imports -- a CommonJS example */
const fs = require('node:fs')
const path = require('node:path')
const { allowBlocking } = require('loopcop/jest')
const { greeting, listUsers, version } = require('../src/handlers')

describe('handlers', () => {
  // Fails: listUsers() calls fs.readFileSync; the failure shows that line and how long it blocked.
  test('GET /users', () => {
    expect(listUsers().body).toContain('ada')
  })

  // Fails: version() calls execSync.
  test('GET /version', () => {
    expect(version().body).toMatch(/^v\d+/)
  })

  // Passes: nothing blocks.
  test('GET /greeting', async () => {
    expect((await greeting('ada')).body).toBe('hello, ada')
  })

  // Passes: fixture setup may block, inside allowBlocking(fn) (or allowBlocking() for the rest
  // of the test); the fixtures folder is also allowed by a rule in jest.config.cjs.
  test('GET /greeting with a fixture request', async () => {
    const request = JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures', 'request.json'), 'utf8'))
    const snapshot = allowBlocking(() => listUsers())
    expect((await greeting(request.name)).body).toBe('hello, ada')
    expect(snapshot.body).toHaveLength(3)
  })

  // Passes: the matcher asserts on blocking itself; what it finds is not charged to the test.
  test('listUsers blocks, greeting does not', async () => {
    expect(() => listUsers()).toBlockEventLoop()
    await expect(() => greeting('ada')).not.toBlockEventLoop()
  })
})
