import assert from 'node:assert/strict'
import { allowBlocking } from 'loopcop'
import config from '../src/config.cjs'

it('blocking read fails', () => {
  assert.equal(config.loadConfigSync().name, 'smoke')
})

it('async read passes', async () => {
  assert.equal((await config.loadConfig()).name, 'smoke')
})

it('allowBlocking passes', () => {
  allowBlocking()
  assert.equal(config.loadConfigSync().name, 'smoke')
})
