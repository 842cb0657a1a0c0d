import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { threadId } from 'node:worker_threads'
import type { Finding } from '../model/finding.js'
import { appendText } from '../runtime/files.js'
import { type LeakCounts, addLeakedCall, isLeakedCall, leakCounts, leakKey } from './leaks.js'

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

/**
 * Appends findings to this worker's spool file; a no-op when no run report is collecting, and when
 * the run has been reported (its folder removed: work a test left running in a worker that outlived
 * the run). A folder made again here would be left behind with what nothing reads.
 */
export function spoolFindings(findings: readonly Finding[]): boolean {
  const dir = process.env[SPOOL_ENV]
  if (dir === undefined || dir === '' || findings.length === 0) return false
  return ranIn(dir, () => appendText(join(dir, `${process.pid}-${threadId}.jsonl`), findings.map((f) => JSON.stringify(f)).join('\n') + '\n'))
}

/** Runs `write` in the spool folder `dir`: `false` when the folder is gone (the run was reported). */
function ranIn(dir: string, write: () => void): boolean {
  try {
    write()
    return true
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' && !existsSync(dir)) return false
    throw error
  }
}

/** How long a worker holds leaked calls before it writes them, in ms (at its next leaked call or test end). */
const LEAKS_HELD_MS = 1000

/** How many calls of a leaked call site `add(…, true)` writes one by one before it holds the later ones. */
const AT_ONCE_PER_SITE = 100

/** The calls of one leaked call site held since they were last written. */
interface HeldSite extends LeakCounts {
  /** How many times calls of this site were written after the first: names their findings apart. */
  batches: number
  /** Calls after the first written one by one (`add(…, true)`). */
  atOnce: number
}

/**
 * A worker's findings on their way to its spool file. A test's findings are written when it ends.
 * Work a test left running may block again and again (a leaked interval calls once a tick: koa's
 * 878 times in 20 s), and a line a call would grow the spool and the run's memory with the run's
 * length: the first leaked call of a test's call site is written at once (a worker killed later
 * still leaves it), later ones are held and written as one finding of their calls with the next
 * test's findings, at the next leaked call a second after the last write, and when the process
 * exits. `now`: the clock, taken before fake timers can replace it.
 */
export class SpoolWriter {
  readonly #now: () => number
  readonly #sites = new Map<string, HeldSite>()
  #held = 0
  #writtenAt = 0
  #exitHooked = false

  constructor(now: () => number) {
    this.#now = now
  }

  /**
   * Findings for the run report, written now; later calls of a leaked call site held (see above).
   * `atOnce`: this process may be stopped at any moment, before it writes what it holds (a Vitest
   * worker whose test file has ended): a site's first hundred calls are written one by one.
   */
  add(findings: readonly Finding[], atOnce = false): void {
    const now: Finding[] = []
    for (const f of findings) if (!this.#hold(f, atOnce)) now.push(f)
    if (now.length === 0 && this.#held > 0 && this.#now() - this.#writtenAt < LEAKS_HELD_MS) {
      this.#hookExit()
      return
    }
    this.#write(now)
  }

  /** Writes what is held now (a process that reads its own spool). */
  flush(): void {
    if (this.#held > 0) this.#write([])
  }

  /** Holds a later call of a leaked call site already written; `false` for any other finding. */
  #hold(f: Finding, atOnce: boolean): boolean {
    if (!isLeakedCall(f)) return false
    const key = leakKey(f)
    const site = this.#sites.get(key)
    if (site === undefined) {
      this.#sites.set(key, { ...leakCounts(f, false), batches: 0, atOnce: 0 })
      return false
    }
    if (atOnce && site.atOnce < AT_ONCE_PER_SITE) {
      site.atOnce++
      return false
    }
    if (site.calls === 0) this.#held++
    addLeakedCall(site, f)
    return true
  }

  /** Writes the held calls, a finding a call site (the first's, with the held calls' counts), then `findings`. */
  #write(findings: readonly Finding[]): void {
    this.#writtenAt = this.#now()
    if (this.#held > 0) {
      const held: Finding[] = []
      for (const site of this.#sites.values()) {
        if (site.calls === 0) continue
        const { otherArgs: _first, ...first } = site.first
        held.push({ ...first, id: `${site.first.id}.${++site.batches}`, calls: site.calls, durationMs: site.durationMs, maxMs: site.maxMs, ...(site.otherArgs > 0 && { otherArgs: site.otherArgs }) })
        site.calls = site.durationMs = site.maxMs = site.otherArgs = 0
      }
      this.#held = 0
      findings = [...held, ...findings]
    }
    spoolFindings(findings)
  }

  #hookExit(): void {
    if (this.#exitHooked) return
    this.#exitHooked = true
    // The last calls held in a worker: written as it exits. Jest's and Mocha's workers and a
    // node:test file's process end by `process.exit` or by themselves, before the run is reported.
    process.once('exit', () => {
      this.#exitHooked = false
      try {
        this.flush()
      } catch {
        // Nothing to tell it to at exit: the report counts what reached it.
      }
    })
  }
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
  return ranIn(dir, () => appendText(join(dir, `${CHECKED}${process.pid}-${threadId}`), ''))
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
