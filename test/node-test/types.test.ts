import type { TestContext } from 'node:test'
import { expectTypeOf, test } from 'vitest'
import type { DoesNotBlockOptions } from '../../integrations/node-test/index.js'
import type loopcopReporter from '../../integrations/node-test/reporter.js'

// Type-level only: importing the integration at run time would hook node:test in this Vitest worker.
test('t.assert.doesNotBlock: a promise only for an async fn, the options of assertNoBlocking', () => {
  const neverCalled = (t: TestContext) => {
    expectTypeOf(t.assert.doesNotBlock(() => 1)).toEqualTypeOf<void>()
    expectTypeOf(t.assert.doesNotBlock(async () => 1)).toEqualTypeOf<Promise<void>>()
    t.assert.doesNotBlock(() => 1, { allow: ['fs.existsSync'], stallMs: 20 })
    // @ts-expect-error unknown option
    t.assert.doesNotBlock(() => 1, { mode: 'warn' })
  }
  expectTypeOf(neverCalled).toBeFunction()
  expectTypeOf<DoesNotBlockOptions>().toEqualTypeOf<Parameters<TestContext['assert']['doesNotBlock']>[1]>()
})

test('loopcop/node-test/reporter is a node:test reporter: an async generator over the events', () => {
  expectTypeOf<typeof loopcopReporter>().parameter(0).toExtend<AsyncIterable<{ type: string }>>()
  expectTypeOf<ReturnType<typeof loopcopReporter>>().toExtend<AsyncGenerator<string, void>>()
})
