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
//     collector's) spin there; V8 also does some work by the clock (idle-time collection, its memory
//     reducer) and seeds its random numbers afresh every run: on a loaded machine the counts moved
//     by up to ~10 % (Node 20's `one` project read 1,308 and 1,473 M with loopcop beside a CI run;
//     bench/README.md, "Forty-second pass"). Node runs with `--predictable`, which on Node 20–26 turns
//     all of that off at once (no concurrent compiling, marking, sweeping or scavenging, no memory
//     reducer, a fixed random seed): what the helper threads would do is done on the main thread
//     and counted once.
//
// Two sets of Node flags, for two questions (bench/README.md, "Fifty-second pass"):
//   - COUNTED_NODE_FLAGS, `--predictable` alone: a run as Node runs it. V8 leaves `--predictable`
//     out of the flags a code cache must have been written under, so Node's own modules load from
//     the code cache Node ships, and loopcop's core from its own. Every flag that changes that hash
//     (`--single-threaded`, `--hash-seed`, `--initial-old-space-size`, among others) makes every
//     counted process compile Node's modules from source (~90 M a Mocha run), which read every
//     ratio to the run without loopcop low (Mocha's `suite`: 1.234× with them, 1.381× without).
//     A full collection is counted where a run's allocation brings it, as natively, and V8 sizes
//     the old generation after the first one from the collector's measured speed, which valgrind's
//     slowdown makes a matter of chance: Mocha's `suite` repeats within ~2 M (0.2 %) idle and beside
//     two busy processes, Jest's within ~0.2 % but its floor within ~1 % (3,701.7 and 3,660.5 M).
//     `bench/runners.mjs --instructions` counts with these (its ratios, and unit costs a collection
//     may land in: Mocha's `kept` with loopcop has one, without it none).
//   - STEADY_NODE_FLAGS: no full collection at all in these projects' runs
//     (`--initial-old-space-size=1024`), so that two builds of loopcop compared on one project differ
//     by what the change costs and nothing else (a project of 20 small test files read 879 M once
//     and 955 M four times when a run landed just under or just over the first collection). They
//     cost the code caches (above), the same in both builds. `bench/count-change.mjs` counts with
//     these, and so does `bench/runners.mjs --instructions --steady`: differences, never a ratio.
//   Alone, runs of either repeat within ~1–2 M. Beside a CI run some still counted ~150–170 M more
//   (one and three of eighteen runs in two rounds, steady flags), though natively their
//   collections repeat exactly: count on an otherwise idle machine, and read a cost twice
//   (`--runs=2`, or against the floor's).
// A measuring tool, not a test: nothing is asserted.
import { spawnSync } from 'node:child_process'

/** Whether valgrind can be run here (it is a system package, not an npm dependency). */
export function valgrindAvailable() {
  const r = spawnSync('valgrind', ['--version'], { encoding: 'utf8' })
  return r.status === 0 && /^valgrind-/.test(r.stdout)
}

/** What to say when it cannot. */
export const NO_VALGRIND = '--instructions counts instructions with valgrind, which is not installed here (Debian and Ubuntu: `apt-get install valgrind`).'

/** The Node flags of a counted run (see the header): nothing by the clock or on another thread, and every code cache kept. */
export const COUNTED_NODE_FLAGS = Object.freeze(['--predictable'])

/**
 * The Node flags of a run that compares two builds (see the header): those of a counted run, and no
 * full collection by chance, at the price of Node compiling its own modules from source.
 */
export const STEADY_NODE_FLAGS = Object.freeze(['--single-threaded', '--predictable', '--hash-seed=1', '--random-seed=1', '--no-memory-reducer', '--initial-old-space-size=1024'])

/** valgrind counting instructions only (no cache simulation, no output file): `counted` and `countedTree` start with it. */
const CACHEGRIND = Object.freeze(['valgrind', '--tool=cachegrind', '--cache-sim=no', '--cachegrind-out-file=/dev/null'])

/**
 * A runner's command line under cachegrind: `node <args>` becomes
 * `valgrind --tool=cachegrind --cache-sim=no … node <flags> <args>` (COUNTED_NODE_FLAGS unless
 * given). Its summary (the `I refs` line) goes to the command's stderr.
 */
export function counted(argv, flags = COUNTED_NODE_FLAGS) {
  return [...CACHEGRIND, ...withCountedFlags(argv, flags)]
}

/** `node <args>` with a counted run's Node flags, run natively: a run that writes the caches the counted runs read (V8 takes a code cache only under the flags it was written with). */
export function withCountedFlags(argv, flags = COUNTED_NODE_FLAGS) {
  const [node, ...rest] = argv
  return [node, ...flags, ...rest]
}

/**
 * A runner's command line under cachegrind with every process it starts counted too (`--trace-children=yes`):
 * Vitest's `forks` pool, a process a test file. The runner's own process is counted with them (and
 * left out by `childrenInstructionsIn`); its children take the counted runs' Node flags from the
 * runner's configuration (`execArgv`), not from here.
 */
export function countedTree(argv) {
  return [...CACHEGRIND, '--trace-children=yes', ...argv]
}

/**
 * What the Node processes a counted run started executed (`countedTree`), read from its stderr: the
 * sum of the `I refs` of every process but the first (the runner's own) that runs the runner's Node
 * binary (not a tool it spawns, such as Vite 7's esbuild service), how many there were, and how many
 * of them wrote no count (`lost`: Vitest stops a fork with SIGTERM and kills it 500 ms later, which
 * on a loaded host can come before valgrind has written the count). `NaN` instructions when none
 * reported a count.
 */
export function childrenInstructionsIn(stderr) {
  const commands = [...stderr.matchAll(/==(\d+)== Command: (\S+)/g)].map(([, pid, bin]) => ({ pid, bin }))
  const node = commands[0]?.bin
  let instructions = 0
  let processes = 0
  let lost = 0
  for (const { pid, bin } of commands.slice(1)) {
    if (bin !== node) continue
    const count = countOf(stderr, pid)
    if (Number.isNaN(count)) {
      lost++
      continue
    }
    instructions += count
    processes++
  }
  return { instructions: processes === 0 ? NaN : instructions, processes, lost }
}

/**
 * The instructions a counted run executed, read from its stderr: cachegrind's `I refs` line of the
 * process it started (the pid of its `Command:` line). A process that forks reports its child too,
 * under the child's pid, with the parent's count up to the fork in it: Jest's file crawler spawns
 * `find`, and the fork reports ~0.75 G before it runs `find` untraced. `NaN` when there is no count
 * (the run did not start under valgrind).
 */
export function instructionsIn(stderr) {
  const pid = /==(\d+)== Command:/.exec(stderr)?.[1]
  return pid === undefined ? NaN : countOf(stderr, pid)
}

/** The `I refs` cachegrind reported for process `pid` in `stderr`, or `NaN`. */
function countOf(stderr, pid) {
  const count = new RegExp(`==${pid}== I\\s+refs:\\s+([\\d,]+)`).exec(stderr)?.[1]
  return count === undefined ? NaN : Number(count.replaceAll(',', ''))
}
