import inspector from 'node:inspector'
import { hrtimeBigint, now } from './clock.js'
import { fileURLToPath } from 'node:url'
import type { Frame } from './stack.js'

/**
 * Stall stacks in worker threads (Vitest's `threads` pool), where the watchdog cannot reach:
 * `connectToMainThread()` from a nested worker targets the process main thread. V8's sampling
 * profiler runs in this thread over a same-thread inspector session and samples even inside
 * native calls (a long `JSON.parse`). Measured on Node 20: sampling every 5 ms costs nothing
 * measurable on 10,000 awaits, but a `Profiler.start`/`stop` pair costs ~10 ms, so the profiler
 * runs for the life of the thread and is read (stopped and restarted) only after a stall, or
 * once a minute to bound its memory.
 */

interface ProfileNode {
  readonly id: number
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number; readonly columnNumber: number }
  readonly children?: readonly number[]
}
interface Profile {
  readonly nodes: readonly ProfileNode[]
  readonly startTime: number
  readonly samples?: readonly number[]
  readonly timeDeltas?: readonly number[]
}

const SAMPLE_US = 5000
const RESTART_MS = 60_000
const NOT_CODE = new Set(['(root)', '(program)', '(idle)', '(garbage collector)'])

let session: inspector.Session | undefined
let failed = false
let startedAt = 0
/** performance.now() minus V8's monotonic clock (µs → ms): profile times are on the latter. */
let clockOffset = 0

function post<T>(method: string, params?: object): T {
  let result: T | undefined
  let error: Error | null = null
  ;(session as inspector.Session).post(method, params ?? {}, (err, res) => {
    error = err
    result = res as T
  })
  if (error !== null) throw error
  return result as T
}

/** Starts the sampler (once per thread); false when the inspector is unavailable or busy. */
export function startSampler(): boolean {
  if (session !== undefined) return true
  if (failed) return false
  try {
    session = new inspector.Session()
    session.connect()
    post('Profiler.enable')
    post('Profiler.setSamplingInterval', { interval: SAMPLE_US })
    begin()
    return true
  } catch {
    // A debugger holding the profiler, V8 coverage, or no inspector in this build.
    failed = true
    try {
      session?.disconnect()
    } catch {
      // nothing to undo
    }
    session = undefined
    return false
  }
}

function begin(): void {
  post('Profiler.start')
  startedAt = now()
  clockOffset = startedAt - Number(hrtimeBigint() / 1000n) / 1000
}

function toFrame(node: ProfileNode): Frame {
  const { functionName, url, lineNumber, columnNumber } = node.callFrame
  let file = url
  if (file.startsWith('file://')) {
    try {
      file = fileURLToPath(file)
    } catch {
      // keep the URL
    }
  }
  return { fn: functionName === '' ? undefined : functionName, file: file === '' ? '<anonymous>' : file, line: lineNumber + 1, column: columnNumber + 1 }
}

/**
 * The stack sampled most often between `fromMs` and `toMs` (performance.now() times), nearest
 * frame first, or `undefined` when nothing ran JS there. Restarts the profiler.
 */
export function sampledStack(fromMs: number, toMs: number): Frame[] | undefined {
  if (session === undefined) return undefined
  let profile: Profile
  try {
    profile = post<{ profile: Profile }>('Profiler.stop').profile
    begin()
  } catch {
    return undefined
  }
  const parent = new Map<number, number>()
  const byId = new Map<number, ProfileNode>()
  for (const node of profile.nodes) {
    byId.set(node.id, node)
    for (const child of node.children ?? []) parent.set(child, node.id)
  }
  const counts = new Map<number, number>()
  let t = profile.startTime
  const samples = profile.samples ?? []
  const deltas = profile.timeDeltas ?? []
  for (let i = 0; i < samples.length; i++) {
    t += deltas[i] ?? 0
    const at = t / 1000 + clockOffset
    if (at < fromMs || at > toMs) continue
    const id = samples[i] as number
    if (NOT_CODE.has(byId.get(id)?.callFrame.functionName ?? '(root)')) continue
    counts.set(id, (counts.get(id) ?? 0) + 1)
  }
  let best: number | undefined
  let most = 0
  for (const [id, n] of counts) if (n > most) [best, most] = [id, n]
  if (best === undefined) return undefined
  const frames: Frame[] = []
  for (let id: number | undefined = best; id !== undefined; id = parent.get(id)) {
    const node = byId.get(id)
    if (node === undefined || node.callFrame.functionName === '(root)') break
    frames.push(toFrame(node))
  }
  return frames
}

/** Restarts the profiler when it has run a minute without a stall (its samples grow); true when it did. */
export function refreshSampler(): boolean {
  if (session === undefined || now() - startedAt <= RESTART_MS) return false
  try {
    post('Profiler.stop')
    begin()
  } catch {
    // leave it stopped: stalls are then reported without a stack
  }
  return true
}
