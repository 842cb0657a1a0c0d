import fs from 'node:fs'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { expect, test } from 'vitest'
import type { Scope } from '../../src/accounting/scope.js'
import { Detector } from '../../src/detector.js'
import type { Finding } from '../../src/model/finding.js'
import { VERSION } from '../../src/version.js'

// A full collection on demand, without starting the worker with --expose-gc.
setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

/** Three blocking calls in a scope, which is then ended: the scope, its findings, and weak references to the calls' stacks. */
function endedScope(): { scope: Scope; findings: Finding[]; stacks: WeakRef<object>[] } {
  const detector = new Detector({ version: VERSION })
  detector.configure({ stallMs: 0, mode: 'warn' })
  const scope = detector.openScope('detect')
  try {
    detector.runInScope(scope, () => {
      for (let i = 0; i < 3; i++) fs.statSync('.')
    })
    const stacks = [...scope.tallies.values()].flatMap((tally) => tally.kept.map((call) => new WeakRef(call.raw)))
    return { scope, findings: detector.closeScope(scope), stacks }
  } finally {
    detector.uninstall()
  }
}

test('an ended scope lets go of its kept calls and their stacks: only its findings stay', async () => {
  const { scope, findings, stacks } = endedScope()
  expect(stacks).toHaveLength(3)
  expect(findings.map((f) => (f.kind === 'sync-io' ? [f.operation, f.calls, f.frames.length > 0] : f.kind))).toEqual([['fs.statSync', 3, true]])
  // The scope is still reachable here (as it may be from what its test started); its stacks are not.
  expect(scope.ended).toBe(true)
  await new Promise((resolve) => setImmediate(resolve))
  gc()
  expect(stacks.map((ref) => ref.deref())).toEqual([undefined, undefined, undefined])
})
