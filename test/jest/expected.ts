/**
 * What a run of the `basic` fixture must report: every finding of its JSON report, in the form of
 * `essentials()` (test file | test | operation | site | verdict | leak | calls), whatever the number
 * of Jest workers. Jest's own machinery (lazy `require`, transform cache writes, snapshot checks)
 * contributes nothing; the users' `beforeEach`/`afterEach` hooks count as part of each test they
 * run for, `beforeAll`/`afterAll` for none.
 */
export const basicFindings: readonly string[] = [
  'tests/concurrent.test.js | concurrent: blocks while others are in flight | fs.readFileSync | src/handlers.js:9 | blocking |  | ×1',
  'tests/handlers.test.js | allow rules from testEnvironmentOptions | fs.accessSync | - | allowed by fs.accessSync |  | ×1',
  'tests/handlers.test.js | allowBlocking() for the rest of the test | fs.readFileSync | - | allowed by allowBlocking() |  | ×1',
  'tests/handlers.test.js | allowBlocking(fn) only inside fn | fs.readFileSync | - | allowed by allowBlocking(fn) |  | ×1',
  'tests/handlers.test.js | allowBlocking(fn) then blocking outside it | fs.readFileSync | - | allowed by allowBlocking(fn) |  | ×1',
  'tests/handlers.test.js | allow rules from testEnvironmentOptions | fs.readFileSync | - | allowed by {"operation":"fs.readFileSync","path":"**/data/allowed.json"} |  | ×1',
  'tests/handlers.test.js | allowBlocking(fn) then blocking outside it | fs.readFileSync | src/handlers.js:9 | blocking |  | ×1',
  'tests/handlers.test.js | blocks in a timer it started | fs.readFileSync | src/handlers.js:9 | blocking |  | ×1',
  'tests/handlers.test.js | done callback that blocks | fs.readFileSync | src/handlers.js:9 | blocking |  | ×1',
  'tests/handlers.test.js | reads users synchronously | fs.readFileSync | src/handlers.js:9 | blocking |  | ×1',
  'tests/handlers.test.js | shells out | child_process.execSync | src/handlers.js:13 | blocking |  | ×1',
  'tests/hooks.test.js | blocking test between blocking hooks | fs.readFileSync | src/handlers.js:9 | blocking |  | ×1',
  'tests/hooks.test.js | blocking test between blocking hooks | fs.statSync | tests/hooks.test.js:27 | blocking |  | ×1',
  'tests/hooks.test.js | blocking test between blocking hooks | fs.unlinkSync | tests/hooks.test.js:18 | blocking |  | ×1',
  'tests/hooks.test.js | blocking test between blocking hooks | fs.writeFileSync | tests/hooks.test.js:15 | blocking |  | ×1',
  'tests/hooks.test.js | clean test between blocking hooks | fs.readFileSync | src/handlers.js:9 | blocking |  | ×1',
  'tests/hooks.test.js | clean test between blocking hooks | fs.unlinkSync | tests/hooks.test.js:18 | blocking |  | ×1',
  'tests/hooks.test.js | clean test between blocking hooks | fs.writeFileSync | tests/hooks.test.js:15 | blocking |  | ×1',
  // An interval's three calls after its test: one finding (the report gathers a test's leaks by call site).
  'tests/leak.test.js | leak: leaves a timer that blocks after the test ended | fs.readFileSync | src/handlers.js:9 | blocking | leak | ×3',
  // One finding per try: each try is a scope of its own.
  'tests/retry.test.js | retry: blocks on every try | fs.readFileSync | src/handlers.js:9 | blocking |  | ×1',
  'tests/retry.test.js | retry: blocks on every try | fs.readFileSync | src/handlers.js:9 | blocking |  | ×1',
  'tests/retry.test.js | retry: blocks on every try | fs.readFileSync | src/handlers.js:9 | blocking |  | ×1',
  'tests/retry.test.js | retry: blocks only on the first try | fs.readFileSync | src/handlers.js:9 | blocking |  | ×1',
  'tests/throw.test.js | throw mode: a swallowed refusal still fails the test | fs.readFileSync | src/handlers.js:9 | blocking |  | ×1',
  'tests/throw.test.js | throw mode: the blocking call throws | fs.readFileSync | src/handlers.js:9 | blocking |  | ×1',
  'tests/warn.test.js | warn mode: blocking is printed, the test passes | fs.readFileSync | src/handlers.js:9 | blocking |  | ×1',
]

/** The tests of the `basic` fixture that fail: exactly the ones that block (in `fail` or `throw` mode). */
export const basicFailing: readonly string[] = [
  'allowBlocking(fn) then blocking outside it',
  'blocking test between blocking hooks',
  'blocks in a timer it started',
  'clean test between blocking hooks',
  'concurrent: blocks while others are in flight',
  'done callback that blocks',
  'reads users synchronously',
  'retry: blocks on every try',
  'shells out',
  'throw mode: a swallowed refusal still fails the test',
  'throw mode: the blocking call throws',
]
