import { readFileSync } from 'node:fs'
import { allowBlocking } from 'loopcop'
import { describe, expect, test } from 'vitest'
import { listUsers, listUsersAsync, version } from '../app/server.js'

describe('handlers', () => {
  // Fails: readFileSync blocks the event loop (loopcop shows the line and the time).
  test('GET /users returns the users', () => {
    expect(listUsers()).toHaveLength(2)
  })

  // Fails: execSync blocks until the child process exits.
  test('GET /version returns the Node version', () => {
    expect(version()).toMatch(/^v\d+/)
  })

  // Passes: asynchronous all the way.
  test('GET /users (async) returns the users', async () => {
    expect(await listUsersAsync()).toHaveLength(2)
  })
})

describe('allowing blocking where it is fine', () => {
  test('a fixture may be read synchronously', async () => {
    const expected = allowBlocking(() => JSON.parse(readFileSync(new URL('../data/users.json', import.meta.url), 'utf8')) as unknown)
    expect(await listUsersAsync()).toEqual(expected)
  })
})

describe('the matcher', () => {
  test('the async handler does not block the event loop', async () => {
    await expect(() => listUsersAsync()).not.toBlockEventLoop()
  })

  test('the sync handler does (and the test itself is not charged with it)', () => {
    expect(() => listUsers()).toBlockEventLoop()
  })
})
