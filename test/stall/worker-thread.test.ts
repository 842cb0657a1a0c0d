// Stalls in worker threads (Vitest's `threads` pool runs tests in them): the watchdog worker a
// test worker starts reaches it through the main thread's inspector, which relays the probe, so the
// probe runs on top of the stalled code in the worker — its stack, at the exact column, and its
// scope. The sampling profiler (the fallback where no relay reaches a worker) could give neither the
// column nor the scope: with two detect() scopes open at once it reports the stall as not judged,
// naming both — as it does in a process started to be debugged (`--inspect`), where the watchdog
// stays out of the way. Runs the packed loopcop in plain Node (test/fixtures/stall/worker-thread.mjs).
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import { fixtures, runNode } from '../helpers/run.js'

const fixture = join(fixtures, 'stall', 'worker-thread.mjs')
const lines = readFileSync(fixture, 'utf8').split('\n')
/** The fixture's busy loop: from `for (;;)` to the CPU-time check that ends it. */
const loopLines = ((first) => [first, first + 1, first + 2])(lines.findIndex((l) => l.includes('for (;;)')) + 1)

interface Seen {
  readonly kind: string
  readonly unjudged?: string
  readonly candidates?: number
  readonly frames: readonly { fn?: string; file: string; line: number; column: number }[]
}

describe.each([
  { title: 'a child of the main thread (Vitest threads)', depth: 1 },
  { title: "a worker's worker", depth: 2 },
])('loopcop in $title', ({ depth }) => {
  test('a stall beside a waiting detect() is the stalling scope\'s, judged, with the stalled frame at its exact column; the process exits on its own', async () => {
    const result = await runNode(fixture, [String(depth)], { cwd: join(fixtures, 'stall'), timeoutMs: 60_000 })
    expect(result.code, result.output).toBe(0)
    const seen = JSON.parse(result.stdout) as { threadId: number; stalling: Seen[]; waiting: Seen[] }
    expect(seen.threadId).toBeGreaterThan(0)
    expect(seen.waiting).toEqual([])
    expect(seen.stalling.map((f) => [f.kind, f.unjudged, f.candidates]), result.stdout).toEqual([['stall', undefined, undefined]])
    // The first frame outside the CPU-time read (the probe may land in it: `cpu` and Node's frames)
    // is the loop's, at a column of that line: the profiler knows lines only (a sampled line is
    // placed past its end).
    const frame = seen.stalling[0]!.frames.find((f) => !f.file.startsWith('node:') && f.fn !== 'cpu')
    expect(frame, result.stdout).toMatchObject({ fn: 'crunchNumbers', file: fixture })
    expect(loopLines).toContain(frame!.line)
    expect(frame!.column).toBeLessThanOrEqual(lines[frame!.line - 1]!.length)
  }, 90_000)
})

test("where the main thread cannot start the process's watchdog (no process.getBuiltinModule, as before Node 20.16), the worker starts one of its own: the stall is still judged, at the loop", async () => {
  const result = await runNode(fixture, ['1', 'old-node'], { cwd: join(fixtures, 'stall'), timeoutMs: 60_000 })
  expect(result.code, result.output).toBe(0)
  const seen = JSON.parse(result.stdout) as { stalling: Seen[]; waiting: Seen[] }
  expect(seen.waiting).toEqual([])
  expect(seen.stalling.map((f) => [f.kind, f.unjudged, f.candidates]), result.stdout).toEqual([['stall', undefined, undefined]])
  expect(seen.stalling[0]!.frames.some((f) => f.fn === 'crunchNumbers' && loopLines.includes(f.line))).toBe(true)
}, 90_000)

test("the process's watchdog is started once, by the first worker thread to ask: the next one registers with it without reading the watchdog's script, and its stall is judged at the loop", async () => {
  const result = await runNode(fixture, ['1', 'twice'], { cwd: join(fixtures, 'stall'), timeoutMs: 60_000 })
  expect(result.code, result.output).toBe(0)
  const seen = result.stdout.trim().split('\n').map((line) => JSON.parse(line) as { threadId: number; stalling: Seen[]; waiting: Seen[]; readScript: boolean })
  expect(seen.map((s) => s.readScript), result.stdout).toEqual([true, false])
  for (const { stalling, waiting } of seen) {
    expect(waiting).toEqual([])
    expect(stalling.map((f) => [f.kind, f.unjudged, f.candidates]), result.stdout).toEqual([['stall', undefined, undefined]])
    expect(stalling[0]!.frames.some((f) => f.fn === 'crunchNumbers' && loopLines.includes(f.line))).toBe(true)
  }
}, 90_000)

test('in a process started with --inspect the watchdog stays out of the way: the sampler reads the stall, without its scope or column', async () => {
  const result = await runNode(fixture, ['1'], { cwd: join(fixtures, 'stall'), timeoutMs: 60_000, nodeArgs: ['--inspect=127.0.0.1:0'] })
  expect(result.code, result.output).toBe(0)
  const seen = JSON.parse(result.stdout) as { stalling: Seen[]; waiting: Seen[] }
  const stalls = [...seen.stalling, ...seen.waiting]
  // What the run found, whole, when it is not the one stall (durations, reasons, frames): this case has been seen flaky.
  expect(stalls.map((f) => f.kind), result.stdout).toEqual(['stall'])
  expect(stalls[0]!.unjudged).toMatch(/^2 tests were running concurrently and any of them could own it/)
  // Sampled: the function, at a sampled line (placed past its end) or at the function's own start.
  const frame = stalls[0]!.frames.find((f) => f.fn === 'crunchNumbers')
  expect(frame).toBeDefined()
  expect(frame!.column > lines[frame!.line - 1]!.length || frame!.line === lines.findIndex((l) => l.includes('function crunchNumbers')) + 1).toBe(true)
}, 90_000)

test("starting the sampler is loopcop's own work, never a stall: Profiler.start over a large code heap takes longer than the threshold", async () => {
  const result = await runNode(join(fixtures, 'stall', 'sampler-start.mjs'), [], { cwd: join(fixtures, 'stall'), timeoutMs: 60_000, nodeArgs: ['--inspect=127.0.0.1:0'] })
  expect(result.code, result.output).toBe(0)
  const seen = JSON.parse(result.stdout) as { sum: number; first: unknown[]; second: unknown[] }
  expect(seen.sum).toBe(100_000 + (99_999 * 100_000) / 2)
  expect([...seen.first, ...seen.second], result.stdout).toEqual([])
}, 90_000)
