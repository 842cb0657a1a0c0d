// Counting the instructions a run executes (`node bench/runners.mjs --instructions`): valgrind's
// cachegrind tool with its cache simulation off counts every instruction a process runs. On this
// project's shared 2-core host a suite's CPU time moves ±20 % between runs, and a cost of a few
// µs a test never shows; a count repeats within ±0.4 % (bench/README.md, "Twentieth pass"), so a
// change of a few thousand instructions a test can be seen, and the parts of a run told apart.
//
// What it cannot see, and how the benchmark keeps out of its way:
//   - under valgrind a process runs ~50–100× slower, so whatever wall time drives runs far more
//     often per test than natively (a heartbeat, a watchdog's looks): the runs are made with stall
//     detection off (LOOPCOP_STALL_MS=0) and the floor without its watchdog thread;
//   - valgrind runs one thread at a time, and V8's helper threads (compilers, the garbage
//     collector's) spin there: Node runs with `--single-threaded`, so that what they do is done
//     on the main thread and counted once;
//   - the garbage collector's first full collection comes when the heap reaches a size: a run just
//     under it counts ~70 M fewer instructions than one just over (a project of 20 small test
//     files read 879 M once and 955 M four times). Read a difference of that size twice;
//   - V8 does some work by the clock (idle-time collection, its memory reducer): on a loaded machine
//     the counts move (the kept project read 1,368 M beside a CI run, 1,561–1,584 M alone). Count
//     on an otherwise idle machine.
// A measuring tool, not a test: nothing is asserted.
import { spawnSync } from 'node:child_process'

/** Whether valgrind can be run here (it is a system package, not an npm dependency). */
export function valgrindAvailable() {
  const r = spawnSync('valgrind', ['--version'], { encoding: 'utf8' })
  return r.status === 0 && /^valgrind-/.test(r.stdout)
}

/** What to say when it cannot. */
export const NO_VALGRIND = '--instructions counts instructions with valgrind, which is not installed here (Debian and Ubuntu: `apt-get install valgrind`).'

/**
 * A runner's command line under cachegrind: `node <args>` becomes
 * `valgrind --tool=cachegrind --cache-sim=no … node --single-threaded <args>`. Its summary (the
 * `I refs` line) goes to the command's stderr.
 */
export function counted(argv) {
  const [node, ...rest] = argv
  return ['valgrind', '--tool=cachegrind', '--cache-sim=no', '--cachegrind-out-file=/dev/null', node, '--single-threaded', ...rest]
}

/**
 * The instructions a counted run executed, read from its stderr: cachegrind's `I refs` line of
 * each process it ran (one for the runners this mode takes), summed. `NaN` when there is none (the
 * run did not start under valgrind).
 */
export function instructionsIn(stderr) {
  const counts = [...stderr.matchAll(/==\d+== I\s+refs:\s+([\d,]+)/g)].map((m) => Number(m[1].replaceAll(',', '')))
  return counts.length === 0 ? NaN : counts.reduce((a, b) => a + b, 0)
}
