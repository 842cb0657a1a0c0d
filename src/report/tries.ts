// A retried test's tries (docs/architecture.md, "lifecycle"): Jest and Mocha report a retried test
// by its last try, so what its failed tries failed with waits for that try before the run report
// has it.
import { type Finding, type TestRef, failedNothing, testKey } from '../model/finding.js'

/**
 * The findings of a test's failed tries, held until its runner has run its last (Jest and Mocha
 * report a retried test by its last try: `jest.retryTimes`, Mocha's `retries`). When a later try
 * passes, what the failed tries failed with failed nothing — the test passed — and is recorded so
 * (`failedNothing`: judged in `warn` mode), or a green run would annotate an error and count it as
 * failing. Tries are told apart by their test's file and name.
 */
export class Tries {
  readonly #record: (findings: readonly Finding[]) => void
  /** The findings of each test's tries not yet ended, and of its failed tries. */
  readonly #open = new Map<string, Finding[]>()
  readonly #failed = new Map<string, Finding[]>()

  /** `record` takes what is settled: for the run report. */
  constructor(record: (findings: readonly Finding[]) => void) {
    this.#record = record
  }

  /** A try's findings (a `TestSink`'s `record`): kept until `ended` says how the try ended. */
  readonly add = (findings: readonly Finding[]): void => {
    for (const f of findings) {
      const key = testKey(f.test)
      const open = this.#open.get(key)
      if (open === undefined) this.#open.set(key, [f])
      else open.push(f)
    }
  }

  /**
   * A try of `test` ended (a `TestSink`'s `ended`): a failed one's findings are held; a passed
   * one's are recorded, with those of its test's failed tries as failing nothing.
   */
  readonly ended = (test: TestRef, failed: boolean): void => {
    const key = testKey(test)
    const open = this.#open.get(key) ?? []
    this.#open.delete(key)
    if (failed) {
      if (open.length > 0) this.#failed.set(key, [...(this.#failed.get(key) ?? []), ...open])
      return
    }
    const retried = this.#failed.get(key) ?? []
    this.#failed.delete(key)
    const settled = [...retried.map((f) => failedNothing(f)), ...open]
    if (settled.length > 0) this.#record(settled)
  }

  /**
   * Records what is held as it was judged: the tests' last tries failed (and a try never said
   * ended, as it is). All of them, or all but `except`'s (a test starting again: a retry).
   */
  settle(except?: TestRef): void {
    const keep = except === undefined ? undefined : testKey(except)
    const out: Finding[] = []
    for (const held of [this.#failed, this.#open]) {
      for (const [key, findings] of held) {
        if (key === keep) continue
        out.push(...findings)
        held.delete(key)
      }
    }
    if (out.length > 0) this.#record(out)
  }
}
