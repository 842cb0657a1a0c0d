// What the benchmarks and the stress harness share: their command-line flags and medians.

/** `--name=value` and `--flag` arguments as `{ name: 'value', flag: true }`. */
export function flags(argv = process.argv.slice(2)) {
  return Object.fromEntries(argv.map((a) => a.replace(/^--/, '').split('=')).map(([k, v]) => [k, v ?? true]))
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
