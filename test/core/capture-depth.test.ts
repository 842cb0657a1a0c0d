// How deep a kept call's stack is captured (src/accounting/calls.ts, Settings.shallowDepth): the
// first `traceDepth` frames when no rule looks past the caller frame and they show it, else
// `traceDepth` + 10. What is judged and reported must not change with it.
import fs from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, test } from 'vitest'
import { detect, type SyncIoFinding } from '../../src/index.js'
import { defaultsWithoutStalls, tempDir } from './support.js'

defaultsWithoutStalls()
const thisFile = fileURLToPath(import.meta.url)
const dir = tempDir('loopcop-depth-')
const write = (file: string, text: string): void => {
  fs.mkdirSync(join(dir, file, '..'), { recursive: true })
  fs.writeFileSync(join(dir, file), text)
}
// A dependency that blocks 12 frames deep inside itself, one that calls back 12 frames deep, and
// one that calls that one.
write('node_modules/deepdep/index.cjs', "const fs = require('node:fs')\nfunction down(n) { return n === 0 ? fs.existsSync(__filename) : down(n - 1) }\nexports.load = () => down(12)\n")
write('node_modules/rec/index.cjs', 'function down(n, fn) { return n === 0 ? fn() : down(n - 1, fn) }\nexports.run = (fn) => down(12, fn)\n')
write('node_modules/outer/index.cjs', "const rec = require('../rec/index.cjs')\nexports.run = (fn) => rec.run(fn)\n")
const load = createRequire(thisFile)
const deepdep = load(join(dir, 'node_modules/deepdep/index.cjs')) as { load: () => boolean }
const outer = load(join(dir, 'node_modules/outer/index.cjs')) as { run: (fn: () => unknown) => unknown }

function site(): boolean {
  return fs.existsSync(dir)
}

const only = (findings: readonly unknown[]): SyncIoFinding => {
  expect(findings).toHaveLength(1)
  return findings[0] as SyncIoFinding
}

describe('capture depth', () => {
  test("a call a dependency makes deep inside itself still names the user's frame, past traceDepth", async () => {
    const f = only((await detect(() => deepdep.load())).findings)
    expect(f.location?.file).toBe(thisFile)
    expect(f.offender?.package).toBe('deepdep')
    expect(f.frames).toHaveLength(11) // traceDepth 10, and the caller
  })

  test('a `within` rule still sees a frame deeper than traceDepth when the caller frame is on top', async () => {
    const allowed = only((await detect(() => outer.run(site), { allow: [{ within: '**/node_modules/outer/**' }] })).findings)
    expect(allowed.allowed).toBe(true)
    expect(allowed.allowedBy).toBe('{"within":"**/node_modules/outer/**"}')
    const byPackage = only((await detect(() => outer.run(site), { allow: [{ package: 'outer' }] })).findings)
    expect(byPackage.allowed).toBe(true)
  })

  test('with no rule looking past the caller, findings name the same caller and offender as with the deep capture, and its first frames', async () => {
    // A rule that never matches but looks at every frame forces the deep capture.
    const deep = { allow: [{ within: '**/nowhere/**' }] }
    const inPromise = (): Promise<boolean> => new Promise((resolve) => resolve(site())) // a positionless frame among the first
    for (const traceDepth of [3, 10]) {
      for (const call of [() => outer.run(site), inPromise, () => deepdep.load()]) {
        // Both from one line, so that the frames below detect() are the same too.
        const found: SyncIoFinding[] = []
        for (const options of [{ traceDepth }, { traceDepth, ...deep }]) found.push(only((await detect(call, options)).findings))
        const [shallow, full] = found as [SyncIoFinding, SyncIoFinding]
        // The first traceDepth frames captured, loopcop's own and positionless ones left out: at most as many.
        expect(shallow.frames.length).toBeLessThanOrEqual(full.frames.length)
        expect(shallow.frames.length).toBeGreaterThanOrEqual(Math.min(2, full.frames.length))
        expect(full.frames.slice(0, shallow.frames.length)).toEqual(shallow.frames)
        expect(shallow.location).toEqual(full.location)
        expect(shallow.offender).toEqual(full.offender)
        expect(shallow.allowed).toBe(false)
      }
    }
  })
})
