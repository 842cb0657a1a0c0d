// How loopcop's environment handler is folded into the jest-circus handler before it (Jest 30):
// the fold itself, on arrays shaped as jest-circus's (the runs are in listening.test.ts).
import { expect, test } from 'vitest'
import { type CircusHandler, foldHandler } from '../../integrations/jest/handlers.js'
import type { CircusEvent } from '../../integrations/jest/circus.js'

const event = (name: string): CircusEvent => ({ name })
const state = { rootDescribeBlock: undefined }

/** jest-circus's handlers: two sync ones, an async one without `await` (as `jestAdapterInit`'s), then `own`. */
function circus(calls: string[], own: CircusHandler): CircusHandler[] {
  return [(e) => void calls.push(`first ${e.name}`), (e) => void calls.push(`second ${e.name}`), async (e) => void calls.push(`adapter ${e.name}`), own]
}

/** dispatch as jest-circus's: each handler in turn, waited for, with the state. */
async function dispatch(handlers: CircusHandler[], name: string): Promise<void> {
  for (const handler of handlers) await handler(event(name), state)
}

test('folded, the handler before and the own one run for each event in the order and with the arguments they had', async () => {
  const calls: string[] = []
  const seen: unknown[] = []
  const own: CircusHandler = (e, s) => {
    calls.push(`own ${e.name}`)
    seen.push(s)
  }
  const handlers = circus(calls, own)
  expect(foldHandler(handlers, own)).toBe(true)
  expect(handlers).toHaveLength(3)
  expect(handlers).not.toContain(own)
  await dispatch(handlers, 'test_start')
  // As jest-circus's dispatchSync calls them: nothing waited for.
  for (const handler of handlers) handler(event('add_test'), state)
  expect(calls).toEqual(['first test_start', 'second test_start', 'adapter test_start', 'own test_start', 'first add_test', 'second add_test', 'adapter add_test', 'own add_test'])
  expect(seen).toEqual([state, state])
})

test('folded while jest-circus dispatches to the own handler: that dispatch ends with it, as it would have', async () => {
  const calls: string[] = []
  let handlers: CircusHandler[] = []
  const own: CircusHandler = (e) => {
    calls.push(`own ${e.name}`)
    foldHandler(handlers, own)
  }
  handlers = circus(calls, own)
  await dispatch(handlers, 'setup')
  await dispatch(handlers, 'run_start')
  expect(calls).toEqual(['first setup', 'second setup', 'adapter setup', 'own setup', 'first run_start', 'second run_start', 'adapter run_start', 'own run_start'])
})

test('what either returns is waited for; a throw of the own handler reaches dispatch; no rejection is left unhandled', async () => {
  const order: string[] = []
  let release: () => void = () => {}
  const own: CircusHandler = (e) => {
    if (e.name === 'run_start') throw new Error('no reporter')
    if (e.name === 'test_done') return new Promise<void>((resolve) => (release = () => (order.push('own settled'), resolve())))
    if (e.name === 'teardown') return Promise.reject(new Error('own failed'))
    return undefined
  }
  const adapter: CircusHandler = async () => {}
  const handlers = [adapter, own]
  foldHandler(handlers, own)
  const [folded] = handlers
  // The own handler returned nothing: what the one before returned, as it is.
  const plain = folded!(event('test_start'), state)
  expect(plain).toBeInstanceOf(Promise)
  // Thrown where it was thrown before: out of the call, which fails jest-circus's dispatch.
  expect(() => folded!(event('run_start'), state)).toThrow('no reporter')
  await expect(dispatch(handlers, 'run_start')).rejects.toThrow('no reporter')
  const waited = Promise.resolve(folded!(event('test_done'), state)).then(() => order.push('dispatch goes on'))
  await new Promise((resolve) => setImmediate(resolve))
  expect(order).toEqual([])
  release()
  await waited
  expect(order).toEqual(['own settled', 'dispatch goes on'])
  await expect(Promise.resolve(folded!(event('teardown'), state))).rejects.toThrow('own failed')
})

test('not folded: not jest-circus\'s array, the own handler not last, or a handler before it that awaits', () => {
  const own: CircusHandler = () => undefined
  const other: CircusHandler = () => undefined
  expect(foldHandler(undefined, own)).toBe(false)
  expect(foldHandler({ length: 2, 0: other, 1: own }, own)).toBe(false)
  expect(foldHandler([own], own)).toBe(false)
  const notLast = [other, own, other]
  expect(foldHandler(notLast, own)).toBe(false)
  expect(notLast).toEqual([other, own, other])
  const awaiting: CircusHandler = async (e) => {
    await Promise.resolve(e)
  }
  const withAwait = [awaiting, own]
  expect(foldHandler(withAwait, own)).toBe(false)
  expect(withAwait).toEqual([awaiting, own])
  expect(foldHandler(['not a function', own], own)).toBe(false)
})
