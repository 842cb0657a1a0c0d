import assert from 'node:assert/strict'
import { assertNoBlocking } from 'loopcop'
import config from '../src/config.cjs'

it('matcher sees the blocking read', () => {
  assert.throws(() => assertNoBlocking(() => config.loadConfigSync()), /fs\.readFileSync/)
})
