import inspector from 'node:inspector'
import type { Frame } from '../model/finding.js'
import { hrtimeBigint, now } from '../runtime/clock.js'
import type { Guard } from '../runtime/guard.js'
import { toPath } from '../stack/callsites.js'
import { throughPrepareStackTrace } from './call-sites.js'

/**
 * Stall stacks in worker threads the watchdog does not reach (the main thread's inspector does not
 * know them, or the process was started to be debugged: see watchdog.ts). V8's sampling
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
  /** Samples of this function's own code by line (1-based). */
  readonly positionTicks?: readonly { readonly line: number; readonly ticks: number }[]
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

/**
 * The sampling profiler of this thread (docs/architecture.md, "stall"), started at most once. A
 * `Profiler.start`/`stop` pair costs ~10 ms, so it runs for the life of the thread.
 */
export class Sampler {
  readonly #guard: Guard
  #session: inspector.Session | undefined
  #failed = false
  #startedAt = 0
  /** performance.now() minus V8's monotonic clock (µs → ms): profile times are on the latter. */
  #clockOffset = 0

  /** Posts to the same-thread session, whose callback runs before `post` returns. */
  #post(method: string, params?: object): unknown {
    const out: { error: Error | null; result: unknown } = { error: null, result: undefined }
    ;(this.#session as inspector.Session).post(method, params ?? {}, (err, res) => {
      out.error = err
      out.result = res
    })
    if (out.error !== null) throw out.error
    return out.result
  }

  constructor(guard: Guard) {
    this.#guard = guard
  }

  /** Whether the sampler runs in this thread. */
  get running(): boolean {
    return this.#session !== undefined
  }

  /** Starts the sampler (once per thread); false when the inspector is unavailable or busy. */
  start(): boolean {
    if (this.#session !== undefined) return true
    if (this.#failed) return false
    try {
      this.#session = new inspector.Session()
      this.#session.connect()
      this.#post('Profiler.enable')
      this.#post('Profiler.setSamplingInterval', { interval: SAMPLE_US })
      this.#begin()
      return true
    } catch {
      // A debugger holding the profiler, V8 coverage, or no inspector in this build.
      this.#failed = true
      try {
        this.#session?.disconnect()
      } catch {
        // nothing to undo
      }
      this.#session = undefined
      return false
    }
  }

  #begin(): void {
    this.#post('Profiler.start')
    this.#startedAt = now()
    this.#clockOffset = this.#startedAt - Number(hrtimeBigint() / 1000n) / 1000
  }

  /**
   * The stack sampled most often between `fromMs` and `toMs` (performance.now() times), nearest
   * frame first, or `undefined` when nothing ran JS there. Restarts the profiler.
   */
  sampledStack(fromMs: number, toMs: number): Frame[] | undefined {
    if (this.#session === undefined) return undefined
    let profile: Profile
    try {
      profile = (this.#post('Profiler.stop') as { profile: Profile }).profile
      this.#begin()
    } catch {
      return undefined
    }
    const frames = busiestStack(profile, fromMs - this.#clockOffset, toMs - this.#clockOffset)
    // Positions in the code V8 ran: the runner's source maps give the user's (Vitest's transform).
    return frames === undefined ? undefined : throughPrepareStackTrace(frames, this.#guard)
  }

  /** Restarts the profiler when it has run a minute without a stall (its samples grow); true when it did. */
  refresh(): boolean {
    if (this.#session === undefined || now() - this.#startedAt <= RESTART_MS) return false
    try {
      this.#post('Profiler.stop')
      this.#begin()
    } catch {
      // leave it stopped: stalls are then reported without a stack
    }
    return true
  }
}

/**
 * A column past any code: the profile gives a sampled line but no column, and a source map looked up
 * there finds the line's last mapping, hence its original line (at column 1 it may find none).
 */
const END_OF_LINE = 10_000

/**
 * A profile node as a frame. The profile places a function at its start; where the function's own
 * code was sampled, at the line sampled most (for a caller, that is the line of the call when the
 * calls were its only work).
 */
function toFrame(node: ProfileNode): Frame {
  const { functionName, url } = node.callFrame
  let line = node.callFrame.lineNumber + 1
  let column = node.callFrame.columnNumber + 1
  let most = 0
  for (const t of node.positionTicks ?? []) {
    if (t.ticks <= most) continue
    most = t.ticks
    if (t.line !== line) column = END_OF_LINE
    line = t.line
  }
  return { fn: functionName === '' ? undefined : functionName, file: toPath(url), line, column }
}

/** The stack sampled most often between two times on the profile's clock (ms), nearest frame first. */
function busiestStack(profile: Profile, fromMs: number, toMs: number): Frame[] | undefined {
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
    const at = t / 1000
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
    // Native code (no script): not a frame a stack trace would show.
    if (node.callFrame.url !== '') frames.push(toFrame(node))
  }
  return frames
}
