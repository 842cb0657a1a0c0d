/**
 * `npx loopcop …`: the command line over JSON reports (README "CI").
 *
 *   loopcop baseline <report.json…> [-o file]   write the baseline file from reports
 *   loopcop merge <report.json…> [-o file]      combine reports of shards and workers
 *   loopcop summary <report.json…>              the Markdown summary ($GITHUB_STEP_SUMMARY)
 *
 * Built into `dist/esm/src/cli/main.js` with a shebang (the package's `bin`); it loads no detector
 * and no dependency.
 * @module
 */
import { run } from './command.js'

process.exitCode = run(process.argv.slice(2), { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t), cwd: process.cwd() })
