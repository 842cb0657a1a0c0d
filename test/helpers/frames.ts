/**
 * A stack line of loopcop's own: a frame in its installed files, or of the scope a test runs in
 * (`TestRun.run`, `Detector.runInScope`, `Scopes.run`, the `AsyncLocalStorage.run` they call).
 */
export const loopcopFrame = /node_modules\/loopcop\/|at (?:TestRun\.run|Detector\.runInScope|Scopes\.run|AsyncLocalStorage\.run) /

/**
 * The frames of a run report's findings that are Node's frame of loopcop's scope
 * (`AsyncLocalStorage.run`), which a finding's stack never shows: every one of the report's
 * findings comes from code that runs in no storage of the user's.
 */
export function storageRunFrames(report: { readonly findings: readonly { readonly operation?: string; readonly stack: readonly string[] }[] } | undefined): string[] {
  return (report?.findings ?? []).flatMap((f) => f.stack.filter((frame) => /\bAsyncLocalStorage\.run \(/.test(frame)).map((frame) => `${f.operation ?? ''}: ${frame}`))
}
