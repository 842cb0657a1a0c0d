// A stand-in for a runner's `Error.prepareStackTrace` (Vitest's and Jest's source-map one): it
// formats as V8 does and counts how often it runs, so a test can tell what loopcop had mapped.

/** The formatter installed by `countingFormatter`. */
export interface CountingFormatter {
  /** How often it has run so far. */
  readonly runs: number
  /** Puts back the `Error.prepareStackTrace` that was installed before. */
  restore(): void
}

/** Installs a counting `Error.prepareStackTrace` in place of the current one until `restore()`. */
export function countingFormatter(): CountingFormatter {
  const installed = Error.prepareStackTrace
  let runs = 0
  Error.prepareStackTrace = (error: Error, sites: NodeJS.CallSite[]): string => {
    runs++
    return `${error.name}: ${error.message}\n${sites.map((s) => `    at ${s.getFunctionName() ?? 'x'} (${s.getFileName()}:${s.getLineNumber()}:${s.getColumnNumber()})`).join('\n')}`
  }
  return {
    get runs() {
      return runs
    },
    restore() {
      Error.prepareStackTrace = installed
    },
  }
}
