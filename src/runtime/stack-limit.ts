// Keeping the caller's frames in an error a wrapped call throws (docs/architecture.md, "intercept"):
// V8 captures `Error.stackTraceLimit` frames, and loopcop's own frames between the original and its
// caller would take the place of the caller's own at the bottom of the stack. While the original
// runs, the limit is raised by as many frames as loopcop has there. Never throws: an
// `Error.stackTraceLimit` that cannot be set (a frozen `Error`) is left alone.

/** Raises `Error.stackTraceLimit` (read as `limit`) by `frames`; returns the value set, or `limit` when it was not raised (not a number, or read-only). */
export function raiseStackTraceLimit(limit: unknown, frames: number): unknown {
  if (typeof limit !== 'number') return limit
  const raised = limit + frames
  try {
    Error.stackTraceLimit = raised
  } catch {
    return limit
  }
  return raised
}

/** Puts `limit` back after `raiseStackTraceLimit` set `raised`, unless the call changed it meanwhile (an argument's getter, a `toString` Node ran). */
export function restoreStackTraceLimit(limit: unknown, raised: unknown): void {
  if (raised === limit || Error.stackTraceLimit !== raised) return
  try {
    Error.stackTraceLimit = limit as number
  } catch {
    // Read-only meanwhile: nothing to put back.
  }
}
