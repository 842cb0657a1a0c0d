/**
 * A stack line of loopcop's own: a frame in its installed files, or of the scope a test runs in
 * (`TestRun.run`, `Detector.runInScope`, `Scopes.run`, the `AsyncLocalStorage.run` they call).
 */
export const loopcopFrame = /node_modules\/loopcop\/|at (?:TestRun\.run|Detector\.runInScope|Scopes\.run|AsyncLocalStorage\.run) /
