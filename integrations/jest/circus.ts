/**
 * The parts of jest-circus's test tree and events the environment reads, typed structurally so
 * the published types depend on nothing beyond `@jest/environment` (and fit Jest 29 and 30).
 * @module
 */

/** A test in jest-circus's tree (`Circus.TestEntry`). */
export interface CircusTest {
  readonly type: 'test'
  readonly name: string
  readonly parent: CircusBlock | undefined
  readonly concurrent?: boolean
  fn: ((...args: never[]) => unknown) | undefined
  errors: unknown[]
  /** How many times it has started (its tries: 2 in the first retry). */
  readonly invocations?: number
  /** `test.failing` (Jest 28.1+): it passes when its function fails. */
  readonly failing?: boolean
}

/** A describe block in jest-circus's tree. */
export interface CircusBlock {
  readonly type: 'describeBlock'
  readonly name: string
  readonly parent: CircusBlock | undefined
  readonly children: readonly (CircusBlock | CircusTest)[]
}

/** A hook in jest-circus's tree (`Circus.Hook`). */
export interface CircusHook {
  readonly type: 'beforeAll' | 'beforeEach' | 'afterEach' | 'afterAll'
  fn: ((...args: never[]) => unknown) | undefined
}

/** A jest-circus event (`Circus.Event`): the environment acts on `run_start`, `test_start`, `hook_start`, `test_fn_start` and `test_done`. */
export interface CircusEvent {
  readonly name: string
  /** Set on test events. */
  readonly test?: CircusTest
  /** Set on hook events. */
  readonly hook?: CircusHook
}

/** jest-circus's state (`Circus.State`), the part read here. */
export interface CircusState {
  readonly rootDescribeBlock?: CircusBlock
  /** The `describe` blocks Jest retries as a whole (Jest 30.5). */
  readonly describeRetryOptions?: { get(block: CircusBlock): unknown }
}

/** Where `jest.retryTimes(n)` puts `n`, on the test file's global. */
export const RETRY_TIMES = Symbol.for('RETRY_TIMES')

/** jest-circus's name for the implicit outermost describe block. */
const ROOT = 'ROOT_DESCRIBE_BLOCK'

/** The test's full name as Jest reports it: describe names, then the test's, joined by spaces. */
export function testName(test: CircusTest): string {
  const names = [test.name]
  for (let b = test.parent; b !== undefined && b.name !== ROOT; b = b.parent) names.unshift(b.name)
  return names.join(' ')
}

/** Tests marked `concurrent`, which Jest 29 starts all at once ahead of their `test_fn_start`. */
export function concurrentTests(state: CircusState | undefined): CircusTest[] {
  const out: CircusTest[] = []
  const walk = (block: CircusBlock): void => {
    for (const child of block.children) {
      if (child.type === 'describeBlock') walk(child)
      else if (child.concurrent === true) out.push(child)
    }
  }
  if (state?.rootDescribeBlock !== undefined) walk(state.rootDescribeBlock)
  return out
}

/**
 * Jest runs generator test functions through `co`, deciding by the function's own type: wrapping
 * one would hide that, so they are left unchecked.
 */
export function isGeneratorFunction(fn: Function): boolean {
  return (fn.constructor as Function | undefined)?.name === 'GeneratorFunction'
}
