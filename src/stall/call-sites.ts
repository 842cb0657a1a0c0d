// Sampled frames read through the runner's source maps (docs/architecture.md, "stall"). The
// sampling profiler gives positions in the code V8 ran — under Vitest, the module runner's
// transformed code — so each frame is read the way a captured stack's call site is
// (stack/sourcemaps.ts: the installed `Error.prepareStackTrace` given a call site of that frame,
// else Node's own source maps): the same positions a thrown error would show.
import type { Frame } from '../model/finding.js'
import type { Guard } from '../runtime/guard.js'
import { sourceFrames } from '../stack/sourcemaps.js'

/**
 * The frames as the installed `Error.prepareStackTrace` (or Node's source maps) shows them, or as
 * they are where nothing maps them or the formatter fails; the runner's function names where it
 * writes one. Runs with the guard up.
 */
export function throughPrepareStackTrace(frames: readonly Frame[], guard: Guard): Frame[] {
  return sourceFrames(frames, guard)
}
