import { describe, expect, test } from 'vitest'
import { builtinRules, compileRule, findAllowingRule, isSettledBuiltinAllowance, isTestsStallInMachinery, verdictOf } from '../../src/accounting/allow.js'
import { catalog } from '../../src/model/operation.js'
import type { Frame } from '../../src/model/finding.js'
import { belowPassThroughMocks, firstPartyFrame, formatFrame, isGenerated, locate, offenderFrame, parseStack, reportedFrames, siteKey, stackWithoutOwnFrames } from '../../src/stack/frames.js'

const readFileSync = catalog.find((s) => s.operation.id === 'fs.readFileSync')!.operation
const mochaFrame = '    at Runner.runTest (/p/node_modules/mocha/lib/runner.js:10:5)'

/** The built-in rule that allows a call with these frames, if any. */
function builtinVerdict(frames: readonly Frame[]): string | undefined {
  return findAllowingRule(builtinRules(false), { operation: readFileSync, arg: undefined, frames: () => frames })?.label
}

describe('parseStack()', () => {
  test('a file name with a newline, spaces, parentheses and colons is one frame, read whole', () => {
    const text = ['Error', '    at Context.<anonymous> (/p/test/new\nline (1): odd.spec.js:8:8)', '    at /p/test/b (x)/c:d.js:3:4', mochaFrame].join('\n')
    expect(parseStack(text)).toEqual([
      { fn: 'Context.<anonymous>', file: '/p/test/new\nline (1): odd.spec.js', line: 8, column: 8 },
      { fn: undefined, file: '/p/test/b (x)/c:d.js', line: 3, column: 4 },
      { fn: 'Runner.runTest', file: '/p/node_modules/mocha/lib/runner.js', line: 10, column: 5 },
    ])
  })

  test('file URLs (ES modules) are decoded, newline included', () => {
    expect(parseStack('Error\n    at async file:///p/test/new%0Aline%20(1).spec.mjs:2:3')).toEqual([{ fn: undefined, file: '/p/test/new\nline (1).spec.mjs', line: 2, column: 3 }])
  })

  test('frames without a position are dropped; a frame that cannot be read is kept as unparsed', () => {
    const text = ['Error', '    at new Promise (<anonymous>)', '    at async Promise.all (index 0)', '    at native', '    at something odd', mochaFrame, ''].join('\n')
    expect(parseStack(text)).toEqual([
      { fn: undefined, file: 'something odd', line: 0, column: 0, unparsed: true },
      { fn: 'Runner.runTest', file: '/p/node_modules/mocha/lib/runner.js', line: 10, column: 5 },
    ])
  })

  test('a frame is shown on one line', () => {
    const [odd, unparsed] = parseStack('Error\n    at t (/p/test/new\nline.spec.js:8:8)\n    at ???')
    expect(formatFrame(odd!, '/p')).toBe('t (test/new\\nline.spec.js:8:8)')
    expect(formatFrame(unparsed!, '/p')).toBe('??? (unreadable stack line)')
  })
})

describe('a frame that cannot be read', () => {
  test('counts as the user’s own frame: no built-in rule allows a call made from it', () => {
    const frames = parseStack(['Error', '    at ???', mochaFrame].join('\n'))
    expect(firstPartyFrame(frames)).toBe(frames[0])
    expect(offenderFrame(frames)).toBeUndefined()
    expect(builtinVerdict(frames)).toBeUndefined()
    // The same call without the unreadable frame is Mocha's machinery.
    expect(builtinVerdict(frames.slice(1))).toBe('built-in: mocha')
  })

  test('a spec file whose name holds a newline is the user’s frame, not Mocha’s', () => {
    const frames = parseStack(['Error', '    at Context.<anonymous> (/p/test/new\nline.spec.js:8:8)', mochaFrame].join('\n'))
    expect(firstPartyFrame(frames)?.file).toBe('/p/test/new\nline.spec.js')
    expect(builtinVerdict(frames)).toBeUndefined()
  })
})

describe('generated code (eval, new Function, compiled templates)', () => {
  const ejs = '    at includeFile (/p/node_modules/ejs/lib/ejs.js:300:10)'
  const template = (line: number) => `    at eval ("/p/views/login.ejs":${line}:17)`
  const render = '    at renderPage (/p/src/render.ts:12:5)'

  test('is not the user’s code: the call is attributed to the user frame that ran the template', () => {
    for (const line of [12, 30]) {
      const frames = parseStack(['Error', ejs, template(line), '    at tryHandleCache (/p/node_modules/ejs/lib/ejs.js:250:9)', render].join('\n'))
      expect(firstPartyFrame(frames)?.file).toBe('/p/src/render.ts')
      // One call site, however many template lines make the call.
      expect(siteKey(frames)).toBe('/p/src/render.ts:12:5')
      expect(offenderFrame(frames)?.file).toBe('/p/node_modules/ejs/lib/ejs.js')
    }
  })

  test('eval and new Function frames of the user’s own files are not the caller either', () => {
    const frames = parseStack(['Error', '    at eval (eval at compile (/p/src/tpl.ts:3:3), <anonymous>:1:46)', '    at t (eval at compile (/p/src/tpl.ts:3:3), <anonymous>:1:23)', render].join('\n'))
    expect(frames.slice(0, 2).every(isGenerated)).toBe(true)
    expect(firstPartyFrame(frames)?.file).toBe('/p/src/render.ts')
    expect(isGenerated({ fn: 'load', file: '/p/src/loader.ts', line: 1, column: 1 })).toBe(false)
    // A template compiled with an absolute sourceURL is still generated code; a module a loader runs
    // as `eval` code under its own path (Vite's module runner) is the user's.
    expect(isGenerated({ fn: 'eval', file: '/p/views/login.ejs', line: 12, column: 17 })).toBe(true)
    expect(isGenerated({ fn: 'eval', file: '/p/src/app.ts', line: 3, column: 1 })).toBe(false)
  })

  test('an eval frame shows its origin’s path relative to the working directory, as any frame’s (nwsapi under jsdom)', () => {
    const [frame, nested] = parseStack(['Error', '    at t (eval at compile (/p/node_modules/nwsapi/src/nwsapi.js:3:3), <anonymous>:1:23)', '    at eval (eval at run (eval at compile (/p/src/tpl.ts:3:3), <anonymous>:2:9), <anonymous>:1:5)'].join('\n'))
    expect(formatFrame(frame as Frame, '/p')).toBe('t (eval at compile (node_modules/nwsapi/src/nwsapi.js:3:3), <anonymous>:1:23)')
    expect(formatFrame(nested as Frame, '/p')).toBe('eval (eval at run (eval at compile (src/tpl.ts:3:3), <anonymous>:2:9), <anonymous>:1:5)')
    // Outside the working directory a path stays absolute, as elsewhere.
    expect(formatFrame(frame as Frame, '/q')).toBe('t (eval at compile (/p/node_modules/nwsapi/src/nwsapi.js:3:3), <anonymous>:1:23)')
  })
})

describe('reportedFrames()', () => {
  const dep = (line: number): Frame => ({ fn: 'dep', file: '/p/node_modules/klaw-sync/index.js', line, column: 1 })
  const own: Frame = { fn: 'load', file: '/p/src/loader.ts', line: 446, column: 12 }

  test('keeps the first `depth` frames and the user’s own frame when it lies deeper', () => {
    const frames = [dep(1), dep(2), dep(3), dep(4), own, dep(5)]
    expect(reportedFrames(frames, 3)).toEqual([dep(1), dep(2), dep(3), own])
    expect(reportedFrames(frames, 5)).toEqual([dep(1), dep(2), dep(3), dep(4), own])
    expect(reportedFrames(frames.slice(0, 4), 2)).toEqual([dep(1), dep(2)])
  })
})

describe('built-in rules and spies', () => {
  test('a spy passing the user’s call through is not the runner’s: no built-in rule allows it', () => {
    const frames = parseStack(['Error', '    at spy (/p/node_modules/@vitest/spy/dist/index.js:20:3)', '    at readConfig (/p/src/config.ts:4:9)', '    at /p/node_modules/vitest/dist/runner.js:9:9'].join('\n'))
    expect(builtinVerdict(frames)).toBeUndefined()
    // Without the user's frame below it, the same `vitest` frame is the runner's machinery.
    expect(builtinVerdict(parseStack(['Error', '    at /p/node_modules/vitest/dist/runner.js:9:9'].join('\n')))).toBe('built-in: vitest/vite module runner')
  })

  test('the runners’ machinery is theirs even where a rule of the user’s would allow the call too: built-in rules are tried first', () => {
    // copy-webpack-plugin under Jest: `{ package: 'webpack' }` matched every module webpack loaded
    // lazily through Jest's registry, and the report listed Node's reads inside jest-runtime as allowed by it.
    const frames = parseStack(
      [
        'Error',
        '    at Object.readFileSync (node:fs:441:20)',
        '    at FileCache.readFileBuffer (/p/node_modules/jest-runtime/build/index.js:120:5)',
        '    at Runtime.requireModule (/p/node_modules/jest-runtime/build/index.js:900:9)',
        '    at Object.get (/p/node_modules/webpack/lib/index.js:60:10)',
        '    at getCompiler (/p/test/helpers/getCompiler.js:28:27)',
      ].join('\n'),
    )
    const rules = [compileRule({ package: 'webpack' }), ...builtinRules(false)]
    expect(findAllowingRule(rules, { operation: readFileSync, arg: undefined, frames: () => frames })?.label).toBe('built-in: jest module registry')
    // The user's rule still allows webpack's own reads.
    const own = parseStack(['Error', '    at Object.readFileSync (node:fs:441:20)', '    at F (/p/node_modules/webpack/lib/config/defaults.js:238:15)', '    at getCompiler (/p/test/helpers/getCompiler.js:28:27)'].join('\n'))
    expect(findAllowingRule(rules, { operation: readFileSync, arg: undefined, frames: () => own })?.label).toBe('{"package":"webpack"}')
  })

  test('Vitest 5’s spies, bundled into a chunk of the vitest package, pass the call through too', () => {
    // cosmiconfig under Vitest 5: every call through `vi.spyOn(fs, …)` was taken for the runner's.
    const spy = '    at Object.readFileSync (file:///p/node_modules/vitest/dist/chunks/spy.BO0hTE3G.js:377:25)'
    const frames = parseStack(['Error', spy, '    at readConfig (/p/src/config.ts:4:9)', '    at file:///p/node_modules/vitest/dist/chunks/runtime.Cx3p2.js:9:9'].join('\n'))
    expect(builtinVerdict(frames)).toBeUndefined()
    expect(locate(frames).offender).toBeUndefined()
    expect(locate(frames).location?.file).toBe('/p/src/config.ts')
    // Another chunk of the same package is still the runner's.
    expect(builtinVerdict(parseStack(['Error', '    at load (file:///p/node_modules/vitest/dist/chunks/runtime.Cx3p2.js:9:9)', '    at readConfig (/p/src/config.ts:4:9)'].join('\n')))).toBe('built-in: vitest/vite module runner')
  })

  test('a spy passing the call through is not the package that made it: whoever called the spy is', () => {
    const through = parseStack(['Error', '    at spy (/p/node_modules/@vitest/spy/dist/index.js:20:3)', '    at readConfig (/p/src/config.ts:4:9)'].join('\n'))
    expect(locate(through).offender).toBeUndefined()
    expect(locate(through).location?.file).toBe('/p/src/config.ts')
    const deep = parseStack(['Error', '    at spy (/p/node_modules/tinyspy/dist/index.js:2:3)', '    at walk (/p/node_modules/klaw-sync/index.js:7:5)', '    at load (/p/src/load.ts:3:1)'].join('\n'))
    expect(locate(deep).offender?.package).toBe('klaw-sync')
  })

  // cross-spawn: `jest.spyOn(cp, 'spawnSync').mockImplementation((...a) => original(...a))` in a test
  // file made the test file the caller of what the code under test called.
  test('a mock of a blocking API whose implementation passes the call on: whoever called the mock made the call', () => {
    const mock = (name: string): string[] => ['    at /p/node_modules/jest-mock/build/index.js:370:39', `    at Object.mockConstructor [as ${name}] (/p/node_modules/jest-mock/build/index.js:116:19)`]
    const through = parseStack(['Error', '    at Object.<anonymous> (/p/test/run.test.js:11:62)', ...mock('spawnSync'), '    at spawn (/p/lib/spawn.js:5:13)', '    at Object.<anonymous> (/p/test/run.test.js:12:10)'].join('\n'))
    expect(firstPartyFrame(through)?.file).toBe('/p/lib/spawn.js')
    expect(locate(through).location?.file).toBe('/p/lib/spawn.js')
    // Vitest's spies: the spy's own function is named as the method.
    const vitest = parseStack(['Error', '    at Object.<anonymous> (/p/test/run.test.ts:11:62)', '    at Object.statSync (file:///p/node_modules/@vitest/spy/dist/index.js:332:34)', '    at size (/p/src/size.ts:8:10)'].join('\n'))
    expect(firstPartyFrame(vitest)?.file).toBe('/p/src/size.ts')
    // Through a dependency: the package made the call, for the user's line below it.
    const dep = parseStack(['Error', '    at Object.<anonymous> (/p/test/run.test.js:11:62)', ...mock('spawnSync'), '    at spawn (/p/node_modules/cross-spawn/index.js:5:13)', '    at build (/p/src/build.js:3:1)'].join('\n'))
    expect(locate(dep).offender?.package).toBe('cross-spawn')
    expect(locate(dep).location?.file).toBe('/p/src/build.js')
    // A mock of an async API whose implementation reads a fixture: the test's own call.
    const fixture = parseStack(['Error', '    at Object.<anonymous> (/p/test/db.test.js:22:72)', ...mock('query'), '    at users (/p/src/store.js:15:13)'].join('\n'))
    expect(firstPartyFrame(fixture)?.file).toBe('/p/test/db.test.js')
    expect(locate(fixture).offender).toBeUndefined()
    // A failure's stack starts below the mock, at the line that called it; a mock of another API keeps all its frames.
    expect(belowPassThroughMocks(through).map((f) => f.file)).toEqual(['/p/lib/spawn.js', '/p/test/run.test.js'])
    expect(belowPassThroughMocks(fixture)).toBe(fixture)
    // A spy passing the call through: its frames on top are left out too (sinon's spy.js headed Mocha's stack).
    const spied = parseStack(['Error', '    at Function.invoke (/p/node_modules/sinon/lib/sinon/proxy-invoke.js:71:47)', '    at Object.statSync (/p/node_modules/sinon/lib/sinon/proxy.js:267:26)', '    at size (/p/lib/size.js:4:13)'].join('\n'))
    expect(belowPassThroughMocks(spied).map((f) => f.file)).toEqual(['/p/lib/size.js'])
  })

  // magicast under Vitest 5: a 123 ms stall in `parseErrorStacktrace`, where Vitest finds an inline
  // snapshot's place through the test file's source map, was charged to the test's
  // `toMatchInlineSnapshot(` line with a "break the work into chunks" hint. The runner's bookkeeping:
  // a built-in rule of its own, before the one that makes Vitest machinery's stalls the test's.
  test("Vitest locating an inline snapshot is its own bookkeeping, not machinery whose stall is the test's", () => {
    const frames = parseStack(
      [
        'Error',
        '    at extractLocation (/p/node_modules/@vitest/utils/dist/source-map.js:20:3)',
        '    at parseErrorStacktrace (/p/node_modules/@vitest/utils/dist/source-map.js:90:3)',
        '    at SnapshotState._resolveInlineStack (/p/node_modules/@vitest/snapshot/dist/index.js:300:20)',
        '    at SnapshotState.match (/p/node_modules/@vitest/snapshot/dist/index.js:400:20)',
        '    at toMatchSnapshotImpl (/p/node_modules/@vitest/expect/dist/index.js:1500:3)',
        '    at /p/test/general.test.ts:11:33',
      ].join('\n'),
    )
    const rule = findAllowingRule(builtinRules(false), { operation: readFileSync, arg: undefined, frames: () => frames })
    expect(rule?.label).toBe("built-in: vitest's inline snapshot location")
    expect(isTestsStallInMachinery(verdictOf(rule), true)).toBe(false)
    // Vitest's `expect` comparing the test's values stays the test's stall (mobx).
    const compare = parseStack(['Error', '    at equals (/p/node_modules/@vitest/expect/dist/index.js:200:3)', '    at /p/test/general.test.ts:11:33'].join('\n'))
    const other = findAllowingRule(builtinRules(false), { operation: readFileSync, arg: undefined, frames: () => compare })
    expect(isTestsStallInMachinery(verdictOf(other), true)).toBe(true)
  })

  // pdfkit: jest-image-snapshot's `spawnSync`, inside its `toMatchImageSnapshot` that `expect` called,
  // was the machinery's (a frame of @vitest/expect above the user's), dropped without a word.
  test('a package of the user’s that the runner’s `expect` called (a custom matcher) makes its own calls: no built-in rule allows them', () => {
    const matcher = ['    at diffImageToSnapshot (/p/node_modules/jest-image-snapshot/src/diff-snapshot.js:418:5)', '    at Object.toMatchImageSnapshot (/p/node_modules/jest-image-snapshot/src/index.js:200:3)']
    const user = '    at checkImage (/p/tests/visual/helpers.js:28:5)'
    const vitest = parseStack(['Error', ...matcher, '    at Proxy.<anonymous> (/p/node_modules/@vitest/expect/dist/index.js:1200:20)', '    at Proxy.methodWrapper (/p/node_modules/chai/chai.js:1700:25)', user].join('\n'))
    expect(builtinVerdict(vitest)).toBeUndefined()
    const jest = parseStack(['Error', ...matcher, '    at throwingMatcher (/p/node_modules/expect/build/index.js:320:21)', user].join('\n'))
    expect(builtinVerdict(jest)).toBeUndefined()
    // The machinery's own calls stay its own: a snapshot written, a code frame read (through graceful-fs).
    expect(builtinVerdict(parseStack(['Error', '    at saveSnapshotFile (/p/node_modules/@vitest/snapshot/dist/index.js:10:3)', '    at Proxy.<anonymous> (/p/node_modules/@vitest/expect/dist/index.js:1200:20)', user].join('\n')))).toBe('built-in: vitest/vite module runner')
    expect(builtinVerdict(parseStack(['Error', '    at Object.readFileSync (/p/node_modules/graceful-fs/polyfills.js:10:3)', '    at getCodeFrame (/p/node_modules/jest-message-util/build/index.js:200:3)', '    at throwingMatcher (/p/node_modules/expect/build/index.js:320:21)', user].join('\n')))).toBe('built-in: jest machinery')
    // With no frame of the user's below, a package the machinery calls is the machinery's, as before.
    expect(builtinVerdict(parseStack(['Error', ...matcher, '    at throwingMatcher (/p/node_modules/expect/build/index.js:320:21)'].join('\n')))).toBe('built-in: jest machinery')
  })

  // dom-testing-library: jest-serializer-path's `realpathSync` under `toMatchInlineSnapshot` was the
  // machinery's on the first ten frames (no frame of the test's among them), and the test's at a larger
  // `traceDepth`. Allowed on frames that show no caller, it is not settled there: judged deeper.
  test('a package the machinery calls, on frames that show no caller, is allowed but not settled; the machinery\'s own call is settled', () => {
    const verdict = (lines: readonly string[]) => verdictOf(findAllowingRule(builtinRules(false), { operation: readFileSync, arg: undefined, frames: () => parseStack(['Error', ...lines].join('\n')) }))
    const serializer = ['    at getRealPath (/p/node_modules/jest-serializer-path/lib/index.js:187:25)', '    at findPlugin (/p/node_modules/jest-snapshot/node_modules/pretty-format/build/index.js:302:22)', '    at serialize (/p/node_modules/jest-snapshot/build/utils.js:223:30)']
    const inMachinery = verdict(serializer)
    expect(inMachinery).toMatchObject({ kind: 'allowed', rule: 'built-in: jest machinery' })
    expect(isSettledBuiltinAllowance(inMachinery)).toBe(false)
    // The test's frame below: the test's own call (the "test code" rule, not a built-in one, judges it).
    expect(verdict([...serializer, '    at Object.<anonymous> (/p/src/__node_tests__/pretty-dom.js:18:32)']).kind).toBe('violation')
    const own = verdict(['    at saveSnapshotFile (/p/node_modules/jest-snapshot/build/utils.js:10:3)', '    at serialize (/p/node_modules/jest-snapshot/build/utils.js:223:30)'])
    expect(own).toMatchObject({ kind: 'allowed', rule: 'built-in: jest machinery' })
    expect(isSettledBuiltinAllowance(own)).toBe(true)
  })

  test('graceful-fs, a shim of Node’s fs, made no call: its caller did (the user, or a package above it)', () => {
    const shim = '    at Object.statSync (/p/node_modules/graceful-fs/polyfills.js:319:19)'
    const own = parseStack(['Error', shim, '    at CacheBackend.provideSync (/p/lib/CachedInputFileSystem.js:348:67)'].join('\n'))
    expect(locate(own).offender).toBeUndefined()
    expect(locate(own).location?.file).toBe('/p/lib/CachedInputFileSystem.js')
    const viaPackage = parseStack(['Error', shim, '    at Object.readJsonSync (/p/node_modules/fs-extra/lib/json/jsonfile.js:9:3)', '    at load (/p/src/load.ts:3:1)'].join('\n'))
    expect(locate(viaPackage).offender?.package).toBe('fs-extra')
  })

  test('with no frame of the user’s, a call is placed at the package’s frame that made it, not in Node’s code it ran (socket.io: undici’s WebSocket)', () => {
    const frames = parseStack(['Error', '    at randomBytes (node:internal/crypto/random:98:3)', '    at establishWebSocketConnection (node:internal/deps/undici/undici:14837:31)', '    at new WebSocket (node:internal/deps/undici/undici:15440:7)', '    at Immediate.openSocket (/p/node_modules/fakeclient/index.js:6:16)', '    at process.processImmediate (node:internal/timers:485:21)'].join('\n'))
    expect(locate(frames).location).toEqual({ file: '/p/node_modules/fakeclient/index.js', line: 6, column: 16, function: 'Immediate.openSocket' })
    expect(locate(frames).offender?.package).toBe('fakeclient')
    expect(siteKey(frames)).toBe('/p/node_modules/fakeclient/index.js:6:16')
    // Nothing but Node's code: its top frame, as before.
    expect(locate(frames.slice(0, 3)).location?.file).toBe('node:internal/crypto/random')
  })
})

describe('stackWithoutOwnFrames (a failing test’s stack, loopcop’s frames taken out)', () => {
  const own = (file: string): boolean => file.startsWith('/app/node_modules/loopcop/')
  const stack = [
    'AssertionError: 1 !== 2',
    '    at check (file:///app/test/a.spec.js:2:28)',
    '    at Context.<anonymous> (file:///app/test/a.spec.js:4:28)',
    '    at file:///app/node_modules/loopcop/dist/esm/integrations/mocha/test.js:94:44',
    '    at AsyncLocalStorage.run (node:async_hooks:346:14)',
    '    at TestRun.run (/app/node_modules/loopcop/dist/cjs/src/core-bundle.js:2304:23)',
    '    at Context.wrapped (/app/node_modules/loopcop/dist/cjs/integrations/mocha/test.js:94:26)',
    '    at Test.runInAsyncScope (node:async_hooks:206:9)',
    '    at callFn (/app/node_modules/mocha/lib/runnable.js:366:21)',
    '    at async file:///app/node_modules/loopcop/dist/esm/integrations/vitest/setup.js:180:7',
  ].join('\n')

  test('drops loopcop’s frames and the AsyncLocalStorage.run between them; keeps the header and every other frame', () => {
    expect(stackWithoutOwnFrames(stack, own).split('\n')).toEqual([
      'AssertionError: 1 !== 2',
      '    at check (file:///app/test/a.spec.js:2:28)',
      '    at Context.<anonymous> (file:///app/test/a.spec.js:4:28)',
      '    at Test.runInAsyncScope (node:async_hooks:206:9)',
      '    at callFn (/app/node_modules/mocha/lib/runnable.js:366:21)',
    ])
  })

  test('drops an AsyncLocalStorage.run that loopcop’s code calls with the user’s function (allowBlocking(fn), a test run straight in its scope)', () => {
    const direct = [
      'Error: x',
      '    at check (/app/test/a.spec.js:2:28)',
      '    at AsyncLocalStorage.run (node:internal/async_local_storage/async_context_frame:65:14)',
      '    at Scopes.run (/app/node_modules/loopcop/dist/cjs/src/core-bundle.js:1384:20)',
      '    at callFn (/app/node_modules/mocha/lib/runnable.js:366:21)',
    ].join('\n')
    expect(stackWithoutOwnFrames(direct, own).split('\n')).toEqual(['Error: x', '    at check (/app/test/a.spec.js:2:28)', '    at callFn (/app/node_modules/mocha/lib/runnable.js:366:21)'])
  })

  test('drops the way out of loopcop’s scope to a runner’s done: AsyncLocalStorage.exit, and on Node 24 the run that exit calls', () => {
    const node24 = [
      'Error: done() called multiple times',
      '    at createMultipleDoneError (/app/node_modules/mocha/lib/errors.js:316:13)',
      '    at /app/node_modules/loopcop/dist/cjs/integrations/mocha/index.js:281:22',
      '    at AsyncLocalStorage.run (node:internal/async_local_storage/async_context_frame:65:14)',
      '    at AsyncLocalStorage.exit (node:internal/async_local_storage/async_context_frame:72:17)',
      '    at Scopes.outside (/app/node_modules/loopcop/dist/cjs/src/core-bundle.js:1396:21)',
      '    at loopcopDone (/app/node_modules/loopcop/dist/cjs/integrations/mocha/index.js:279:12)',
      '    at Immediate._onImmediate (/app/test/a.spec.js:2:73)',
    ].join('\n')
    expect(stackWithoutOwnFrames(node24, own).split('\n')).toEqual([
      'Error: done() called multiple times',
      '    at createMultipleDoneError (/app/node_modules/mocha/lib/errors.js:316:13)',
      '    at Immediate._onImmediate (/app/test/a.spec.js:2:73)',
    ])
    const node20 = 'Error: x\n    at f (/app/a.js:1:1)\n    at AsyncLocalStorage.exit (node:async_hooks:358:14)\n    at Scopes.outside (/app/node_modules/loopcop/dist/cjs/src/core-bundle.js:1396:21)\n    at g (/app/b.js:2:2)'
    expect(stackWithoutOwnFrames(node20, own)).toBe('Error: x\n    at f (/app/a.js:1:1)\n    at g (/app/b.js:2:2)')
    // The user's own storage, run and left from the user's code inside loopcop's scope, stays.
    const theirs = 'Error: x\n    at f (/app/a.js:1:1)\n    at AsyncLocalStorage.run (node:internal/async_local_storage/async_context_frame:65:14)\n    at AsyncLocalStorage.exit (node:internal/async_local_storage/async_context_frame:72:17)\n    at g (/app/b.js:2:2)\n    at TestRun.run (/app/node_modules/loopcop/dist/cjs/src/core-bundle.js:2304:23)'
    expect(stackWithoutOwnFrames(theirs, own).split('\n')).toEqual(theirs.split('\n').slice(0, 5))
  })

  test('a stack with none of loopcop’s frames is the same text; an AsyncLocalStorage.run of someone else’s stays', () => {
    const theirs = 'Error: x\n    at f (/app/a.js:1:1)\n    at AsyncLocalStorage.run (node:async_hooks:346:14)\n    at g (/app/b.js:2:2)'
    expect(stackWithoutOwnFrames(theirs, own)).toBe(theirs)
    expect(stackWithoutOwnFrames('Error: a message\nover two lines', own)).toBe('Error: a message\nover two lines')
  })
})
