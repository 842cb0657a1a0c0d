// What a run asks of the run report when the reporter that makes it is not loaded (docs/architecture.md,
// "report"). Under Jest, Vitest and node:test the test processes only collect findings; the runner's
// loopcop reporter writes the JSON report and the baseline. Without it those asks were dropped
// without a word (`--reporter=default` on Vitest's command line replaces the config's reporters).
import { type Options, updateBaselineRequested } from '../model/options.js'

/**
 * Which asks count: `all`, or only those of the run's `environment` (`LOOPCOP_REPORT`,
 * `LOOPCOP_UPDATE_BASELINE=1`). An editor's test runs (the Vitest and Jest extensions) replace the
 * config's reporters with their own, so an option in the config (`report.json`) asks for what those
 * runs cannot give; a variable is set for the run at hand. (A strict baseline is the config's too:
 * its check is left to runs with the reporter, never asked here.)
 */
export type Asks = 'all' | 'environment'

/**
 * What this configuration asks that only the run's reporter does, each as a message names it:
 * a JSON report, a baseline written from the run. Empty when it asks neither.
 */
export function reporterAsks(options: Pick<Options, 'report'>, env: NodeJS.ProcessEnv = process.env, asks: Asks = 'all'): string[] {
  const out: string[] = []
  const json = options.report.json
  const fromEnv = env.LOOPCOP_REPORT !== undefined && env.LOOPCOP_REPORT !== '' && env.LOOPCOP_REPORT === json
  if (json !== undefined && (fromEnv || asks === 'all')) out.push(fromEnv ? `LOOPCOP_REPORT=${json} asks for a JSON report` : `the option report.json (${json}) asks for a JSON report`)
  // A wrong value was refused when the options were read; here it only counts as not asking.
  let update = false
  try {
    update = updateBaselineRequested(env)
  } catch {
    update = false
  }
  if (update) out.push('LOOPCOP_UPDATE_BASELINE=1 asks to write the baseline file')
  return out
}

/**
 * The error of a run that asks what `reporterAsks` lists without the reporter that does it:
 * `runner` names loopcop's entry (`loopcop/vitest`), `fix` says how to load the reporter there.
 * Undefined when nothing is asked.
 */
export function missingReporterError(options: Pick<Options, 'report'>, runner: string, fix: string, env: NodeJS.ProcessEnv = process.env, asks: Asks = 'all'): Error | undefined {
  const listed = reporterAsks(options, env, asks)
  if (listed.length === 0) return undefined
  const error = new Error(`${runner}: ${listed.join('; ')}, but the run report is made by loopcop's reporter, which this run does not load. ${fix}`)
  // Where it was made is loopcop's own code, which says nothing to the user (runners print a code frame of it).
  error.stack = `Error: ${error.message}`
  return error
}
