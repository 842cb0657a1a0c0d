// How findings travel from Vitest's workers to the reporter: in the `meta` of the tasks, which
// Vitest sends to the main process with every task update (forks, threads and vmThreads alike).
// A test carries its own findings; the test file carries the leaks (blocking calls after their
// test ended) and the worker's `report` and `mode` options, sent when the file finishes.
import type { Finding, Options } from '../../src/integration.js'

/** The key loopcop uses in a task's `meta`. */
export const META_KEY = 'loopcop'

/**
 * What `loopcop/vitest/reporter` provides to the test files (`vitest.provide`, read with `inject`):
 * `true` when the run has the reporter. Without it, a JSON report or a baseline asked for would be
 * dropped, so the test files fail instead (setup.ts).
 */
export const REPORTER_KEY = 'loopcop.reporter'

/** What a test's `meta.loopcop` holds. */
export interface TestMeta {
  /** Every finding of the test (all its attempts), allowed ones included. */
  readonly findings: Finding[]
}

/** What a test file's `meta.loopcop` holds. */
export interface FileMeta {
  /** Blocking calls made after the test that started them had ended, charged to that test. */
  readonly leaks: Finding[]
  /** The `report`, `mode` and `baseline` options as the worker's `configure()` left them. */
  options?: Pick<Options, 'report' | 'mode'> & Partial<Pick<Options, 'baseline'>>
}

type Meta = Record<string, unknown>

/** The loopcop part of a test's meta, created on first use. */
export function testMeta(meta: object): TestMeta {
  const m = meta as Meta
  m[META_KEY] ??= { findings: [] } satisfies TestMeta
  return m[META_KEY] as TestMeta
}

/** The loopcop part of a test file's meta, created on first use. */
export function fileMeta(meta: object): FileMeta {
  const m = meta as Meta
  m[META_KEY] ??= { leaks: [] } satisfies FileMeta
  return m[META_KEY] as FileMeta
}

/** Reads the loopcop part of a meta object sent by a worker, if it has one. */
export function readMeta(meta: object | undefined): Partial<TestMeta & FileMeta> | undefined {
  const value = (meta as Meta | undefined)?.[META_KEY]
  return typeof value === 'object' && value !== null ? (value) : undefined
}
