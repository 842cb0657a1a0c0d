// What the benchmarks and the stress harness share: their command-line flags and medians.

/**
 * `--name=value` and `--flag` arguments as `{ name: 'value', flag: true }`. `usage` is the script's
 * usage text: `--help` prints it and exits 0; an argument that is not one of `known` (or not a
 * `--` flag at all) prints it with what was wrong and exits 2, rather than running with defaults.
 */
export function flags(known, usage, argv = process.argv.slice(2)) {
  const pairs = argv.map((a) => {
    const [name, ...value] = a.replace(/^--/, '').split('=')
    return [name, value.length === 0 ? true : value.join('=')]
  })
  if (pairs.some(([name]) => name === 'help')) {
    console.log(usage)
    process.exit(0)
  }
  const wrong = argv.filter((a, i) => !a.startsWith('--') || !known.includes(pairs[i][0]))
  const twice = pairs.map(([name]) => name).filter((name, i, all) => all.indexOf(name) !== i)
  if (wrong.length > 0 || twice.length > 0) {
    const what = wrong.length > 0 ? `unknown argument${wrong.length === 1 ? '' : 's'}: ${wrong.join(' ')}` : `given twice: --${twice[0]}`
    console.error(`${what}\n\n${usage}`)
    process.exit(2)
  }
  return Object.fromEntries(pairs)
}

/** The runners the benchmark and the stress harness know. */
const RUNNER_NAMES = ['vitest-forks', 'vitest-threads', 'jest', 'mocha', 'node-test']

/**
 * Exits 2 with `usage` and what was wrong when a runner is not one of `RUNNER_NAMES` or `runs` is
 * not a whole number above 0 (`given`: `--runs` as written).
 */
export function checkRuns(runners, runs, given, usage) {
  const unknown = runners.find((r) => !RUNNER_NAMES.includes(r))
  if (unknown === undefined && Number.isInteger(runs) && runs > 0) return
  console.error(`${unknown !== undefined ? `no runner is called ${JSON.stringify(unknown)}` : `--runs must be a whole number above 0, not ${given}`}\n\n${usage}`)
  process.exit(2)
}

/** The median of some numbers (`NaN` for none). */
export function median(xs) {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length === 0 ? NaN : s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2
}

/** The `p`-quantile of some numbers (0.25: the lower quartile), interpolated between the two nearest (`NaN` for none). */
export function quantile(xs, p) {
  const s = [...xs].sort((a, b) => a - b)
  if (s.length === 0) return NaN
  const at = (s.length - 1) * p
  const lo = Math.floor(at)
  const hi = Math.ceil(at)
  return s[lo] + (s[hi] - s[lo]) * (at - lo)
}
