/**
 * `loopcop/chai` — a Chai plugin: `chai.use(loopcopChai)` adds
 * `expect(fn).to.not.blockEventLoop(options?)`. `fn` runs in a scope of its own; an async `fn`
 * makes the assertion return a promise to await. Chai is an optional peer dependency: the plugin
 * uses only the `chai` and `utils` Chai hands it.
 * @example
 * import * as chai from 'chai'
 * import loopcopChai from 'loopcop/chai'
 * chai.use(loopcopChai)
 * await expect(() => handler(req)).to.not.blockEventLoop({ allow: ['fs.existsSync'] })
 * @module
 */
import { type AssertOptions, type BlockingCheck, checkBlocking, listBlocking } from '../../src/integration.js'

/** The part of a Chai `Assertion` the plugin uses. */
interface AssertionLike {
  assert(expression: boolean, message: string, negatedMessage: string): void
}

/** The part of Chai's `utils` the plugin uses. */
interface UtilsLike {
  flag(assertion: object, key: string): unknown
}

/** The part of the `chai` object handed to a plugin that this one uses. */
export interface ChaiLike {
  readonly Assertion: { addMethod(name: string, method: (this: AssertionLike, options?: AssertOptions) => unknown): void }
}

declare global {
  // Chai's own types (`@types/chai`) declare this namespace; this merges into it.
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Chai {
    interface Assertion {
      /**
       * Calls the function under test and asserts it blocks the event loop (negate it with
       * `.not`). For an async function it returns a promise to await.
       * @example await expect(() => handler(req)).to.not.blockEventLoop({ allow: ['fs.existsSync'] })
       */
      blockEventLoop(options?: AssertOptions): Assertion | Promise<void>
    }
  }
}

function describe(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : value === null ? 'null' : (typeof value)
}

/** The Chai plugin: `chai.use(loopcopChai)` adds `blockEventLoop` to `expect` and `should`. */
export default function loopcopChai(chai: ChaiLike, utils: UtilsLike): void {
  chai.Assertion.addMethod('blockEventLoop', function blockEventLoop(this: AssertionLike, options?: AssertOptions): Promise<void> | undefined {
    const fn = utils.flag(this, 'object')
    const negate = utils.flag(this, 'negate') === true
    const call = `expect(fn).to${negate ? '.not' : ''}.blockEventLoop()`
    if (typeof fn !== 'function') throw new TypeError(`${call} needs the function under test, got ${describe(fn)}: write expect(() => code())${call.slice('expect(fn)'.length)}`)
    const verdict = (c: BlockingCheck): void => {
      const calls = c.blocking.reduce((n, f) => n + f.calls, 0)
      const allowed = c.findings.length - c.blocking.length
      this.assert(
        c.blocking.length > 0,
        `expected fn to block the event loop, but it made no blocking call${allowed > 0 ? ` (${allowed} allowed finding${allowed === 1 ? '' : 's'})` : ''}`,
        `expected fn not to block the event loop, but it made ${calls} blocking call${calls === 1 ? '' : 's'}:\n${listBlocking(c.blocking)}`,
      )
    }
    const check = checkBlocking(fn, options, 'blockEventLoop()')
    if (check instanceof Promise) return check.then(verdict)
    verdict(check)
    return undefined
  })
}

export { loopcopChai }
