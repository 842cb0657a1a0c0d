import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { threadId } from 'node:worker_threads'
import type { Finding } from '../model/finding.js'

// Not scope-aware: the detector runs every function here outside every scope (its own I/O).

/**
 * How findings travel from test workers (Jest's child processes, Mocha's `--parallel` workers)
 * to the process that reports the run: each worker appends JSON lines to a file of its own in a
 * folder the main process made and named in this variable, which workers inherit.
 */
export const SPOOL_ENV = 'LOOPCOP_SPOOL_DIR'

/**
 * Made by the main process before workers start; sets `LOOPCOP_SPOOL_DIR` for them. Throws an error
 * that says what the folder is for and what to change when the temporary folder cannot hold it
 * (`TMPDIR` naming a folder that does not exist, or one that cannot be written).
 */
export function openSpool(): string {
  const parent = tmpdir()
  let dir: string
  try {
    dir = mkdtempSync(join(parent, 'loopcop-'))
  } catch (error) {
    throw new Error(
      `loopcop could not make the folder where test workers leave their findings for the run report, in the temporary folder ${parent} (${error instanceof Error ? error.message : String(error)}). Point TMPDIR (TMP or TEMP on Windows) at a folder that exists and can be written.`,
      { cause: error },
    )
  }
  process.env[SPOOL_ENV] = dir
  return dir
}

/** Appends findings to this worker's spool file; a no-op when no run report is collecting. */
export function spoolFindings(findings: readonly Finding[]): boolean {
  const dir = process.env[SPOOL_ENV]
  if (dir === undefined || dir === '' || findings.length === 0) return false
  mkdirSync(dir, { recursive: true })
  appendFileSync(join(dir, `${process.pid}-${threadId}.jsonl`), findings.map((f) => JSON.stringify(f)).join('\n') + '\n')
  return true
}

/** The marker a worker leaves in the spool folder once it checked a test file: `checked-<pid>-<thread>`. */
const CHECKED = 'checked-'

/**
 * Says that this worker checked a test file (loopcop's per-file part ran there), for a run report
 * that must tell a run loopcop saw nothing wrong in from one it saw nothing of. An empty file, once
 * per worker and spool (see `Detector.fileChecked`); a no-op when no run report is collecting.
 */
export function spoolChecked(): boolean {
  const dir = process.env[SPOOL_ENV]
  if (dir === undefined || dir === '') return false
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, `${CHECKED}${process.pid}-${threadId}`), '')
  return true
}

/** What the workers spooled: every finding that could be read, and how many lines could not. */
export interface SpoolContents {
  readonly findings: Finding[]
  /**
   * Lines that were not a whole finding (a worker killed mid-write, a full disk): those findings
   * are lost, and the run report says how many instead of losing everything else with them.
   */
  readonly damaged: number
  /** Whether a worker checked a test file (see `spoolChecked`). */
  readonly checked: boolean
}

/** Reads every finding the workers spooled, line by line (call once the workers are done). */
export function readSpool(dir: string): SpoolContents {
  const findings: Finding[] = []
  let damaged = 0
  let names: string[]
  try {
    names = readdirSync(dir)
  } catch {
    return { findings, damaged, checked: false }
  }
  const checked = names.some((f) => f.startsWith(CHECKED))
  const files = names.filter((f) => f.endsWith('.jsonl')).sort()
  for (const file of files) {
    let text: string
    try {
      text = readFileSync(join(dir, file), 'utf8')
    } catch {
      damaged++
      continue
    }
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue
      const finding = parseFinding(line)
      if (finding === undefined) damaged++
      else findings.push(finding)
    }
  }
  return { findings, damaged, checked }
}

/** One spooled line as a finding, or `undefined` when it is not one (cut short, garbled). */
function parseFinding(line: string): Finding | undefined {
  let value: unknown
  try {
    value = JSON.parse(line)
  } catch {
    return undefined
  }
  if (typeof value !== 'object' || value === null) return undefined
  const { id, kind } = value as { id?: unknown; kind?: unknown }
  return typeof id === 'string' && (kind === 'sync-io' || kind === 'stall') ? (value as Finding) : undefined
}

/** Removes the spool folder. */
export function closeSpool(dir: string): void {
  rmSync(dir, { recursive: true, force: true })
  if (process.env[SPOOL_ENV] === dir) Reflect.deleteProperty(process.env, SPOOL_ENV)
}
