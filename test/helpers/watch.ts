// Driving a runner in watch mode (Mocha's `--watch`, `node --test --watch`, `vitest --watch`) from a test.
import type { ChildProcess } from 'node:child_process'
import { killGroup } from './run.js'

/** What a runner in watch mode printed by the time it exited. */
export interface WatchResult {
  readonly stdout: string
  readonly stderr: string
  readonly code: number | null
}

/** How to drive a runner in watch mode. */
export interface WatchDriver {
  /** What the runner prints on stderr once a run has ended. */
  readonly ended: string
  /** After the `runs`-th run ended: start the next one, or stop (Ctrl-C). A throw stops the runner at once and fails the drive. */
  next(runs: number): 'again' | 'stop'
  /** Starts the next run as this runner takes it (`rs` typed on Mocha's input, a file written again for node:test and Vitest). */
  again(): void
  /** How long the whole drive may take before the runner is killed. @default 180_000 */
  readonly timeoutMs?: number
}

/** Drives `child`, a runner started in watch mode with piped output, run by run; resolves once it has exited. */
export function driveWatch(child: ChildProcess, driver: WatchDriver): Promise<WatchResult> {
  return new Promise((resolve, fail) => {
    let stdout = ''
    let stderr = ''
    let runs = 0
    const killer = setTimeout(() => killGroup(child), driver.timeoutMs ?? 180_000)
    child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString()
      const ended = stderr.split(driver.ended).length - 1
      if (ended === runs) return
      runs = ended
      let step: 'again' | 'stop'
      try {
        step = driver.next(runs)
      } catch (error) {
        // What the run left is not as wanted: stop now, not at the time-out.
        killGroup(child)
        fail(error)
        return
      }
      if (step === 'again') driver.again()
      else child.kill('SIGINT')
    })
    child.on('error', fail)
    child.on('close', (code) => {
      clearTimeout(killer)
      resolve({ stdout, stderr, code })
    })
  })
}
