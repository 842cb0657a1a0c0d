// TypeScript compiled by a module loader off the main thread (graphql-js: Mocha with
// `node-option: loader=ts-node/esm/transpile-only`), stood for by test/fixtures/mocha/ts-loader's
// shift-loader.mjs: Node keeps no source maps unless asked, so the lines every frame shows in .ts
// files are the compiled code's. loopcop says so at the end of the run, and shows TypeScript lines
// once Node keeps source maps (--enable-source-maps).
import { describe, expect, test } from 'vitest'
import { runMocha } from './support.js'

describe('a module loader compiling TypeScript off the main thread', () => {
  test('without source maps, the run summary says the lines in .ts files may be the compiled code\'s, and how to see TypeScript lines', async () => {
    const run = await runMocha('ts-loader', [], { name: 'ts-loader-unmapped' })
    expect(run.failed).toEqual(['config loads the config'])
    // The compiled code's line: two below the call's line in src/config.ts.
    expect(run.report?.findings.map((f) => `${f.location?.file}:${f.location?.line}`)).toEqual(['src/config.ts:7'])
    expect(run.stderr).toContain("loopcop: the lines shown in TypeScript files (src/config.ts:7, …) may be the compiled JavaScript's, not yours: a module loader compiles them off the main thread (--loader ./shift-loader.mjs)")
    expect(run.stderr).toContain('Run with NODE_OPTIONS=--enable-source-maps to see TypeScript lines.')
  })

  test('with --enable-source-maps, the lines are the TypeScript source\'s and nothing is said', async () => {
    const run = await runMocha('ts-loader', [], { name: 'ts-loader-mapped', env: { NODE_OPTIONS: '--enable-source-maps' } })
    expect(run.failed).toEqual(['config loads the config'])
    expect(run.report?.findings.map((f) => `${f.location?.file}:${f.location?.line}`)).toEqual(['src/config.ts:5'])
    expect(run.stderr).not.toContain('may be the compiled JavaScript')
  })
})
