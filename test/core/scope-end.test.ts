import fs from 'node:fs'
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { expect, test } from 'vitest'
import type { Scope } from '../../src/accounting/scope.js'
import { Detector } from '../../src/detector.js'
import type { Finding } from '../../src/model/finding.js'
import { VERSION } from '../../src/version.js'

// A full collection on demand, without starting the worker with --expose-gc.
setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as (options?: { type: 'major' | 'minor' }) => void
const MB = 1024 * 1024

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

/** A scope watched for stalls, holding ~6 MB of small objects, ended; its detector stays. */
function endedWatchedScope(): Detector {
  const detector = new Detector({ version: VERSION })
  detector.configure({ stallMs: 100, mode: 'warn' })
  const scope = detector.openScope('detect')
  Object.assign(scope, { ballast: Array.from({ length: 200_000 }, (_, i) => ({ i })) })
  detector.closeScope(scope)
  detector.uninstall()
  return detector
}

function oldSpaceUsed(): number {
  return getHeapSpaceStatistics().find((space) => space.space_name === 'old_space')?.space_used_size ?? 0
}

test('an ended scope is not kept alive by the stall monitor through young-generation collections', async () => {
  gc()
  const before = oldSpaceUsed()
  const detector = endedWatchedScope()
  await new Promise((resolve) => setImmediate(resolve))
  // Two scavenges: what survives both is promoted to the old generation. The stall monitor remembers
  // where an ended scope was opened in a weak map; were the entry's value to hold the scope, V8 would
  // keep the scope (and its ballast) alive through both.
  gc({ type: 'minor' })
  gc({ type: 'minor' })
  expect(detector.currentScope()).toBeUndefined()
  expect(oldSpaceUsed() - before).toBeLessThan(3 * MB)
})
