// The flags Node was given, on this process's command line and in NODE_OPTIONS (which a process
// inherits and Node reads too): what several parts look at (the watchdog for `--inspect`, the
// node:test integration for `--test-isolation` and `--import`, the run summary for `--loader`).

/** This process's command-line flags (`execArgv`), then those of NODE_OPTIONS, split on whitespace. */
export function nodeFlags(execArgv: readonly string[] = process.execArgv, nodeOptions: string = process.env.NODE_OPTIONS ?? ''): string[] {
  return [...execArgv, ...nodeOptions.split(/\s+/).filter((a) => a !== '')]
}

/** A flag among `names` and the value it was given. */
export interface GivenFlag {
  readonly name: string
  readonly value: string
}

/** The flags among `flags` named one of `names`, with their values, in their order, in both forms: `--import x` and `--import=x`. */
export function givenFlags(flags: readonly string[], names: readonly string[]): GivenFlag[] {
  const given: GivenFlag[] = []
  for (const [i, flag] of flags.entries()) {
    const eq = flag.indexOf('=')
    const name = eq < 0 ? flag : flag.slice(0, eq)
    if (!names.includes(name)) continue
    const value = eq < 0 ? flags[i + 1] : flag.slice(eq + 1)
    if (value !== undefined) given.push({ name, value })
  }
  return given
}
