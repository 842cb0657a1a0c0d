import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { threadId } from 'node:worker_threads'
import { outsideScopes } from './scope.js'
import type { Finding } from './findings.js'

/**
 * How findings travel from test workers (Jest's child processes, Mocha's `--parallel` workers)
 * to the process that reports the run: each worker appends JSON lines to a file of its own in a
 * folder the main process made and named in this variable, which workers inherit.
 */
export const SPOOL_ENV = 'LOOPCOP_SPOOL_DIR'

/** Made by the main process before workers start; sets `LOOPCOP_SPOOL_DIR` for them. */
export function openSpool(): string {
  return outsideScopes(() => {
    const dir = mkdtempSync(join(tmpdir(), 'loopcop-'))
    process.env[SPOOL_ENV] = dir
    return dir
  })
}

/** Appends findings to this worker's spool file; a no-op when no run report is collecting. */
export function spoolFindings(findings: readonly Finding[]): boolean {
  const dir = process.env[SPOOL_ENV]
  if (dir === undefined || dir === '' || findings.length === 0) return false
  outsideScopes(() => {
    mkdirSync(dir, { recursive: true })
    appendFileSync(join(dir, `${process.pid}-${threadId}.jsonl`), findings.map((f) => JSON.stringify(f)).join('\n') + '\n')
  })
  return true
}

/** Reads every finding the workers spooled (call once the workers are done). */
export function readSpool(dir: string): Finding[] {
  return outsideScopes(() => {
    const out: Finding[] = []
    let files: string[]
    try {
      files = readdirSync(dir).filter((f) => f.endsWith('.jsonl')).sort()
    } catch {
      return out
    }
    for (const file of files) {
      for (const line of readFileSync(join(dir, file), 'utf8').split('\n')) {
        if (line.trim() !== '') out.push(JSON.parse(line) as Finding)
      }
    }
    return out
  })
}

/** Removes the spool folder. */
export function closeSpool(dir: string): void {
  outsideScopes(() => rmSync(dir, { recursive: true, force: true }))
  if (process.env[SPOOL_ENV] === dir) delete process.env[SPOOL_ENV]
}
