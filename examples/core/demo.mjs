// `detect()` from the core API on the example app: what each handler blocks on, printed as a
// user would see it in a failing test.
import { BlockingIOError, allowBlocking, detect } from 'loopcop'
import { gitVersion, getUsers, getUsersAsync, hashPassword, loadConfig } from './app.mjs'

for (const [title, handler] of [
  ['GET /users', getUsers],
  ['GET /version', gitVersion],
  ['POST /login', () => hashPassword('hunter2')],
  ['GET /users (async)', getUsersAsync],
  ['startup (allowed)', () => allowBlocking(loadConfig)],
]) {
  const { blocking, findings } = await detect(handler)
  if (blocking.length === 0) console.log(`✓ ${title}: no blocking calls${findings.length ? ` (${findings.length} allowed)` : ''}\n`)
  else console.log(`✗ ${new BlockingIOError(blocking, title).message}\n`)
}
