import type * as chai from 'chai'
import { expectTypeOf, test } from 'vitest'
import type loopcopChai from '../../integrations/chai/index.js'
import type { mochaGlobalSetup, mochaGlobalTeardown, mochaHooks } from '../../integrations/mocha/index.js'
import type { AssertOptions } from '../../src/integration.js'
import { assertNoBlocking } from '../../src/index.js'

// Type-level only: importing the integrations at run time would patch this Vitest worker.
test('the Chai plugin fits chai.use() and adds blockEventLoop to Chai.Assertion', () => {
  expectTypeOf<typeof loopcopChai>().toExtend<Parameters<typeof chai.use>[0]>()
  expectTypeOf<Chai.Assertion['blockEventLoop']>().parameter(0).toEqualTypeOf<AssertOptions | undefined>()
  expectTypeOf<ReturnType<Chai.Assertion['blockEventLoop']>>().toEqualTypeOf<Chai.Assertion | Promise<void>>()
})

test('assertNoBlocking returns a promise only for an async fn', () => {
  const neverCalled = () => {
    expectTypeOf(assertNoBlocking(() => 1)).toEqualTypeOf<void>()
    expectTypeOf(assertNoBlocking(async () => 1)).toEqualTypeOf<Promise<void>>()
    // @ts-expect-error unknown option
    assertNoBlocking(() => 1, { mode: 'warn' })
  }
  expectTypeOf(neverCalled).toBeFunction()
})

test('loopcop/mocha exports what Mocha looks for in a root hook plugin', () => {
  expectTypeOf<typeof mochaHooks.beforeAll>().toBeFunction()
  expectTypeOf<typeof mochaHooks.afterAll>().toBeFunction()
  expectTypeOf<typeof mochaGlobalSetup>().returns.toBeVoid()
  expectTypeOf<typeof mochaGlobalTeardown>().returns.toBeVoid()
})
