/* global describe, it */
import assert from 'node:assert'
import * as chai from 'chai'
import { allowBlocking, assertNoBlocking } from 'loopcop'
import loopcopChai from 'loopcop/chai'
import { getUsers, getUsersAsync, loadConfig, nodeVersion } from './app.mjs'

chai.use(loopcopChai)
const { expect } = chai

describe('the example app', () => {
  it('GET /users returns the users', async () => {
    assert.deepStrictEqual(await getUsers(), ['ada', 'grace', 'linus']) // fails: readFileSync
  })

  it('GET /version reports the Node version', async () => {
    assert.match(await nodeVersion(), /^v\d+/) // fails: execSync
  })

  it('GET /users (async) stays async', async () => {
    assert.strictEqual((await getUsersAsync()).length, 3) // passes
  })

  it('startup may read its config synchronously', () => {
    const config = allowBlocking(() => loadConfig()) // allowed, only inside the callback
    assert.ok(config.users)
  })

  it('the async handler never blocks (assertNoBlocking)', async () => {
    await assertNoBlocking(() => getUsersAsync()) // passes
  })

  it('the sync handler never blocks (chai)', async () => {
    await expect(() => getUsers()).to.not.blockEventLoop() // fails, with the blocking line
  })
})
