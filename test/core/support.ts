// Shared by the core tests: temp folders, the caller's source position, narrowing findings.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeEach } from 'vitest'
import { configure, type Finding, type SyncIoFinding } from '../../src/index.js'
import { parseStack } from '../../src/stack/frames.js'

/**
 * Default configuration before each test of the file, with stall detection off: these tests are
 * about blocking calls, and a stall is measured on the wall clock (a busy machine that deschedules
 * this process would add a stall finding). Stalls have their own tests.
 */
export function defaultsWithoutStalls(): void {
  beforeEach(() => {
    configure.reset()
    configure({ stallMs: 0 })
  })
  afterAll(() => configure.reset())
}

/** A temp folder removed after the test file; call at the top level of a test file. */
export function tempDir(prefix = 'loopcop-core-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

/** File and line of the code that called `here()` (source-mapped, as findings are). */
export function here(): { file: string; line: number } {
  const frame = parseStack(new Error().stack ?? '')[1]
  if (frame === undefined) throw new Error('here(): no caller frame')
  return { file: frame.file, line: frame.line }
}

/** The sync-io findings (all of them, in these tests: the core reports no stalls yet). */
export function syncIo(findings: readonly Finding[]): SyncIoFinding[] {
  return findings.filter((f): f is SyncIoFinding => f.kind === 'sync-io')
}

/** `operation` of each sync-io finding, sorted. */
export function operationsOf(findings: readonly Finding[]): string[] {
  return syncIo(findings)
    .map((f) => f.operation)
    .sort()
}

/** Total calls over findings. */
export function callsOf(findings: readonly Finding[]): number {
  return findings.reduce((n, f) => n + f.calls, 0)
}

/** Resolves after `ms` (a real timer, so the continuation is a new async context). */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** A revoked proxy: an argument nothing can read (every access throws), Node's own checks included. */
export function revokedProxy(): object {
  const { proxy, revoke } = Proxy.revocable({}, {})
  revoke()
  return proxy
}

/** What a call gave: its value, or the error it threw as `Name: message` (comparable across realms). */
export function outcomeOf(fn: () => unknown): unknown {
  try {
    return fn()
  } catch (error) {
    return error instanceof Error ? `${error.name}: ${error.message}` : error
  }
}
