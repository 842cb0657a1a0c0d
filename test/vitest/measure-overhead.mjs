// The overhead of `loopcop/vitest` on a suite of 400 small async tests (test/fixtures/vitest/overhead):
// alternating runs with and without it in setupFiles, medians of wall time and of Vitest's own
// "tests" time. A measurement, not a test:
// `node test/vitest/measure-overhead.mjs [runs=7] [pool=forks] [setups=off,loopcop]`
// (also: `nostall` = loopcop with LOOPCOP_STALL_MS=0, `around` = an empty aroundEach, `als` = aroundEach + AsyncLocalStorage).
import { spawnSync } from 'node:child_process'
import { dirname, join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const cwd = join(root, 'test', 'fixtures', 'vitest', 'overhead')
const vitest = join(root, 'node_modules', 'vitest', 'vitest.mjs')
const runs = Number(process.argv[2] ?? 7)
const pool = process.argv[3] ?? 'forks'

/** A phase of Vitest's summary line `Duration 3.67s (transform 214ms, setup 378ms, …)`, in ms. */
function duration(out, phase) {
  const m = new RegExp(`${phase} ([\\d.]+)(ms|s)\\b`).exec(out)
  return m === null ? NaN : Number(m[1]) * (m[2] === 's' ? 1000 : 1)
}

function once(setup) {
  // `nostall`: loopcop with stall detection off (LOOPCOP_STALL_MS=0), to tell its cost apart.
  const env = { ...process.env, OVERHEAD_SETUP: setup === 'nostall' ? 'loopcop' : setup, NO_COLOR: '1', ...(setup === 'nostall' && { LOOPCOP_STALL_MS: '0' }) }
  const t0 = performance.now()
  // GNU time adds the CPU time of the whole process tree (Vitest and its workers) on stderr's last line.
  const r = spawnSync('/usr/bin/time', ['-f', 'cpu %U %S', process.execPath, vitest, 'run', `--pool=${pool}`], { cwd, env, encoding: 'utf8' })
  const wall = performance.now() - t0
  const out = `${r.stdout}\n${r.stderr}`
  if (r.status !== 0 || !/Tests\s+400 passed/.test(out)) throw new Error(`run failed (${setup}):\n${out}`)
  const cpu = /cpu ([\d.]+) ([\d.]+)\s*$/.exec(r.stderr)
  return { wall, cpu: cpu === null ? NaN : (Number(cpu[1]) + Number(cpu[2])) * 1000, tests: duration(out, 'tests'), setup: duration(out, 'setup') }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const setups = (process.argv[4] ?? 'off,loopcop').split(',')
once('loopcop') // warm Vite's transform cache
const results = Object.fromEntries(setups.map((s) => [s, []]))
for (let i = 0; i < runs; i++) for (const s of setups) results[s].push(once(s))
const base = results[setups[0]]
for (const s of setups) {
  const line = ['wall', 'cpu', 'tests', 'setup'].map((key) => {
    const m = median(results[s].map((r) => r[key]))
    const b = median(base.map((r) => r[key]))
    return `${key} ${m.toFixed(0).padStart(6)} ms${key === 'setup' ? '' : ` (×${(m / b).toFixed(3)})`}`
  })
  console.log(`${s.padEnd(8)} ${line.join('   ')}`)
}
