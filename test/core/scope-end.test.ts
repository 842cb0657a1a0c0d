import fs from 'node:fs'
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8'
import { fileURLToPath } from 'node:url'
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
/** The sources' root, where the stall watchdog's worker script is (without it, a watched scope reports an internal error). */
const ROOT = fileURLToPath(new URL('../..', import.meta.url))

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

/**
 * A scope watched for stalls, holding ~6 MB of small objects, ended; its detector stays. Also says
 * how much the old generation grew while the ballast was made (before the scope ended).
 */
function endedWatchedScope(before: number): { detector: Detector; promotedEarly: number } {
  const detector = new Detector({ version: VERSION, root: ROOT })
  detector.configure({ stallMs: 100, mode: 'warn' })
  const scope = detector.openScope('detect')
  Object.assign(scope, { ballast: Array.from({ length: 200_000 }, (_, i) => ({ i })) })
  const promotedEarly = oldSpaceUsed() - before
  detector.closeScope(scope)
  detector.uninstall()
  return { detector, promotedEarly }
}

function oldSpaceUsed(): number {
  return getHeapSpaceStatistics().find((space) => space.space_name === 'old_space')?.space_used_size ?? 0
}

test('an ended scope is not kept alive by the stall monitor through young-generation collections', async () => {
  // The ballast must still be young when the scope ends. V8 sizes the young generation by how fast
  // the process allocated lately (a loaded machine shrinks it): when making the ballast took
  // collections that promoted it, the run says nothing, and is made again — each time the young
  // generation grows.
  for (let attempt = 1; ; attempt++) {
    gc()
    const before = oldSpaceUsed()
    const { detector, promotedEarly } = endedWatchedScope(before)
    if (promotedEarly > 1 * MB) {
      if (attempt < 6) continue
      throw new Error(`the ballast was promoted while it was made, ${attempt} times (${(promotedEarly / MB).toFixed(1)} MB): the young generation stays too small here to tell`)
    }
    await new Promise((resolve) => setImmediate(resolve))
    // Two scavenges: what survives both is promoted to the old generation. The stall monitor remembers
    // where an ended scope was opened in a weak map; were the entry's value to hold the scope, V8 would
    // keep the scope (and its ballast) alive through both.
    gc({ type: 'minor' })
    gc({ type: 'minor' })
    expect(detector.currentScope()).toBeUndefined()
    const grown = oldSpaceUsed() - before
    expect(grown, `the old generation grew ${(grown / MB).toFixed(1)} MB (${(promotedEarly / MB).toFixed(2)} MB of it while the ballast was made; attempt ${attempt})`).toBeLessThan(3 * MB)
    return
  }
})
