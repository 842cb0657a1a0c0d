// A retried test's tries (docs/architecture.md, "lifecycle"): Jest and Mocha report a retried test
// by its last try, so what its failed tries failed with waits for that try before the run report
// has it.
import { type Finding, failedNothing } from '../model/finding.js'

/**
 * The findings of a test's failed tries, held while its runner runs it again (`jest.retryTimes`,
 * Mocha's `retries`). When a later try passes, what the failed tries failed with failed nothing —
 * the test passed — and is recorded so (`failedNothing`: judged in `warn` mode), or a green run
 * would annotate an error and count it as failing. A test is its runner's test object (`K`), the
 * same in every try: two tests of one name stay two. Only what a retry will follow is held, so a
 * worker that dies later loses nothing else.
 */
export class Tries<K> {
  readonly #record: (findings: readonly Finding[]) => void
  readonly #held = new Map<K, Finding[]>()

  /** `record` takes what is settled: for the run report. */
  constructor(record: (findings: readonly Finding[]) => void) {
    this.#record = record
  }

  /**
   * A try of `test` ended: `failed` by the runner or by loopcop, `retried` when the runner runs the
   * test again (held then); else recorded, with what its failed tries held — as failing nothing
   * when this try passed.
   */
  ended(test: K, findings: readonly Finding[], failed: boolean, retried: boolean): void {
    // Most tries: nothing found, nothing held: nothing to hold or record either way.
    if (findings.length === 0 && !this.#held.has(test)) return
    const held = this.#held.get(test) ?? []
    if (failed && retried) {
      if (held.length + findings.length > 0) this.#held.set(test, [...held, ...findings])
      return
    }
    this.#held.delete(test)
    const settled = [...(failed ? held : held.map((f) => failedNothing(f))), ...findings]
    if (settled.length > 0) this.#record(settled)
  }

  /** Records what is held, as judged: a retry that never came (the file or the run ended first). */
  settle(): void {
    const out = [...this.#held.values()].flat()
    this.#held.clear()
    if (out.length > 0) this.#record(out)
  }
}
