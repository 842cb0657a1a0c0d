// The commands of `npx loopcop …` (README "CI"): parsing the command line and running a command
// over JSON reports. `main.ts` is the program; this module is what tests drive.
import { resolve } from 'node:path'
import { type BaselineEntry, DEFAULT_BASELINE_PATH, entriesOf, fileGone, keyedFindings, readBaseline, rewrittenEntries, writeBaseline } from '../report/baseline.js'
import { markdownSummary } from '../report/markdown.js'
import { writeFileAtomically } from '../runtime/files.js'
import { VERSION } from '../version.js'
import { ReportError, mergeReports, readReport } from './reports.js'

const HELP = `Usage: loopcop <command> <report.json…> [options]

Commands over the JSON reports loopcop writes (report.json or LOOPCOP_REPORT):
  baseline <report.json…> [-o file]  write the baseline file (default ${DEFAULT_BASELINE_PATH}) from
                                     the reports: every call site that blocked, except allowed ones
                                     and assertions'; pass the reports of every shard of a run (the
                                     stall entries of the file it writes over are kept)
  merge <report.json…> [-o file]     combine reports (shards, workers) into one: each finding once,
                                     the summary counted afresh; to stdout without -o
  summary <report.json…>             print the run summary in Markdown (for $GITHUB_STEP_SUMMARY)

Options:
  -o, --output <file>  where to write (baseline, merge)
  -h, --help           show this help
  -v, --version        show loopcop's version
`

/** What the command line asked for. */
export type Command =
  | { readonly kind: 'help' }
  | { readonly kind: 'version' }
  | { readonly kind: 'baseline' | 'merge' | 'summary'; readonly reports: readonly string[]; readonly output: string | undefined }

/** A command line that makes no sense: printed with a pointer to `--help`, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError'
}

/** Parses the arguments (after `loopcop`). */
export function parseArgs(args: readonly string[]): Command {
  if (args.length === 0 || args.includes('-h') || args.includes('--help')) return { kind: 'help' }
  if (args.includes('-v') || args.includes('--version')) return { kind: 'version' }
  const [name, ...rest] = args
  if (name !== 'baseline' && name !== 'merge' && name !== 'summary') throw new UsageError(`unknown command \`${String(name)}\` (expected baseline, merge or summary)`)
  const reports: string[] = []
  let output: string | undefined
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i] as string
    if (arg === '-o' || arg === '--output') {
      const value = rest[++i]
      if (value === undefined || value === '') throw new UsageError(`${arg} needs a file path`)
      if (name === 'summary') throw new UsageError('summary prints to stdout: it takes no -o (redirect it: >> "$GITHUB_STEP_SUMMARY")')
      output = value
    } else if (arg.startsWith('--output=')) {
      if (name === 'summary') throw new UsageError('summary prints to stdout: it takes no -o (redirect it: >> "$GITHUB_STEP_SUMMARY")')
      output = arg.slice('--output='.length)
    } else if (arg.startsWith('-') && arg !== '-') {
      throw new UsageError(`unknown option \`${arg}\``)
    } else {
      reports.push(arg)
    }
  }
  if (reports.length === 0) throw new UsageError(`${name} needs at least one JSON report`)
  return { kind: name, reports, output }
}

/** Where a command's output goes. */
export interface Io {
  readonly out: (text: string) => void
  readonly err: (text: string) => void
  readonly cwd: string
}

/** Runs a command; returns the exit code (0 done, 1 a report or file problem, 2 a usage error). */
export function run(args: readonly string[], io: Io): number {
  let command: Command
  try {
    command = parseArgs(args)
  } catch (error) {
    io.err(`loopcop: ${error instanceof Error ? error.message : String(error)}\nRun \`loopcop --help\` for usage.\n`)
    return 2
  }
  if (command.kind === 'help') {
    io.out(HELP)
    return 0
  }
  if (command.kind === 'version') {
    io.out(`${VERSION}\n`)
    return 0
  }
  try {
    const report = mergeReports(command.reports.map((path) => readReport(resolve(io.cwd, path))))
    if (command.kind === 'summary') {
      io.out(markdownSummary(report))
    } else if (command.kind === 'merge') {
      const text = JSON.stringify(report, null, 2) + '\n'
      if (command.output === undefined) io.out(text)
      else {
        writeFileAtomically(resolve(io.cwd, command.output), text)
        io.err(`loopcop: merged ${command.reports.length} report${command.reports.length === 1 ? '' : 's'} (${report.findings.length} findings) into ${command.output}\n`)
      }
    } else {
      const fresh = entriesOf(keyedFindings(report.findings, io.cwd))
      const path = command.output ?? DEFAULT_BASELINE_PATH
      // As LOOPCOP_UPDATE_BASELINE=1 does: a stall's entry stays (a run without the stall does not
      // show it fixed), unless its test file is gone.
      const entries = rewrittenEntries(fresh, earlierEntries(resolve(io.cwd, path)), false, (e) => fileGone(e, io.cwd))
      const kept = entries.slice(fresh.length)
      const { changed } = writeBaseline(path, entries, io.cwd)
      const stalls = kept.length === 0 ? '' : `, and ${kept.length} stall entr${kept.length === 1 ? 'y' : 'ies'} the file had (a stall's entry goes when its line is deleted, or its test file is)`
      io.err(`loopcop: ${changed ? `baseline written to ${path}` : `baseline ${path} already holds these entries, left as it was`}: ${entries.length} entr${entries.length === 1 ? 'y' : 'ies'} from ${command.reports.length} report${command.reports.length === 1 ? '' : 's'}${stalls}\n`)
    }
    return 0
  } catch (error) {
    const message = error instanceof ReportError ? error.message : `could not write ${command.output ?? DEFAULT_BASELINE_PATH}: ${error instanceof Error ? error.message : String(error)}`
    io.err(`loopcop: ${message}\n`)
    return 1
  }
}

/** The entries of the baseline file about to be written over (none when it does not exist or cannot be read). */
function earlierEntries(file: string): readonly BaselineEntry[] {
  try {
    return readBaseline(file).entries
  } catch {
    return []
  }
}
