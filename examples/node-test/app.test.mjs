import assert from 'node:assert'
import { beforeEach, describe, it } from 'node:test'
import { allowBlocking, assertNoBlocking } from 'loopcop'
import { getUsers, getUsersAsync, loadConfig, nodeVersion } from './app.mjs'

describe('the example app', () => {
  it('GET /users returns the users', async () => {
    assert.deepStrictEqual(await getUsers(), ['ada', 'grace', 'linus']) // fails: readFileSync
  })

  it('GET /version reports the Node version', async () => {
    assert.match(await nodeVersion(), /^v\d+/) // fails: execSync
  })

  it('GET /users (async) stays async', async (t) => {
    assert.strictEqual((await getUsersAsync()).length, 3) // passes
    await t.test('and so does a subtest', async () => {
      assert.ok(await getUsersAsync()) // passes: a subtest is a test of its own
    })
  })

  it('startup may read its config synchronously', () => {
    const config = allowBlocking(() => loadConfig()) // allowed, only inside the callback
    assert.ok(config.users)
  })

  it('the async handler never blocks (assertNoBlocking)', async () => {
    await assertNoBlocking(() => getUsersAsync()) // passes
  })

  it('the sync handler never blocks (t.assert.doesNotBlock, Node 22.14+)', async (t) => {
    if (t.assert?.doesNotBlock === undefined) return t.skip('t.assert.register() came with Node 22.14')
    await t.assert.doesNotBlock(() => getUsers()) // fails, with the blocking line
  })

  describe('with a hook that loads the config', () => {
    let config
    beforeEach(() => {
      config = loadConfig() // fails the test: a beforeEach hook is part of its test
    })
    it('has three users', () => {
      assert.strictEqual(config.users.length, 3)
    })
  })
})
