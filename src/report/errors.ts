// The errors loopcop fails a test with (docs/architecture.md, "report").
import type { Finding } from '../model/finding.js'
import type { Guard } from '../runtime/guard.js'
import { belowPassThroughMocks, v8Line } from '../stack/frames.js'
import { failureMessage, messageOrder } from './messages.js'

/**
 * The error a test fails with when it blocked the event loop (and the error `mode: 'throw'`
 * raises at the call). Its `stack` is the culprit's stack, so runners show the blocking line.
 */
export interface BlockingIOError extends Error {
  /**
   * The findings this error reports: a getter of the class, not a property of the error's own,
   * and left out of `toJSON()`. Runners print an error's properties (Vitest's "Serialized Error:"
   * under its `verbose` reporter, each finding with its frames, in svelte's trial; Mocha's `json`
   * reporter), which would repeat every finding the message says.
   */
  readonly findings: readonly Finding[]
}

/** Each `BlockingIOError`'s findings (see `BlockingIOError.findings`). */
const findingsOf = new WeakMap<Error, readonly Finding[]>()

/** The `BlockingIOError` class: `new BlockingIOError(findings, testTitle?)`, `error instanceof BlockingIOError`. */
export interface BlockingIOErrorClass {
  new (findings: readonly Finding[], title?: string): BlockingIOError
  readonly prototype: BlockingIOError
}

/**
 * Defines the `BlockingIOError` class of a detector (one per process, shared by every copy of
 * loopcop through the detector). Its constructor is loopcop's own work under that detector's guard.
 * `rewrite`: what the runner makes of a message's text, if anything (Jest's frame lines: see
 * `Detector.rewriteMessages`), which an error `mode: 'throw'` raises at the call needs as much as
 * one a test fails with.
 */
export function defineBlockingIOError(guard: Guard, rewrite: () => ((text: string) => string) | undefined = () => undefined): BlockingIOErrorClass {
  return class BlockingIOError extends Error {
    get findings(): readonly Finding[] {
      return findingsOf.get(this) ?? []
    }

    /**
     * What a runner that serializes an error (Vitest, from a test's worker to its main process,
     * through the error's own and inherited properties, or this) takes of it: the name, the message
     * and the culprit's stack, not the findings the message says already.
     */
    toJSON(): { name: string; message: string; stack: string | undefined } {
      return { name: this.name, message: this.message, stack: this.stack }
    }

    constructor(findings: readonly Finding[], title?: string) {
      // An Error's stack is formatted by the installed `Error.prepareStackTrace` (Vitest's,
      // source-map-support's) when the error is created or, at the latest, when `stack` is redefined
      // below — and a source-mapping one may read files synchronously. With the guard up, that is not
      // a blocking call of the code under test (in `throw` mode it would replace this very error).
      guard.depth++
      try {
        const message = failureMessage(findings, title)
        super(rewrite()?.(message) ?? message)
        this.name = 'BlockingIOError'
        findingsOf.set(this, findings)
        const culprit = messageOrder(findings).find((f) => f.frames.length > 0)
        if (culprit !== undefined) {
          Object.defineProperty(this, 'stack', {
            value: `${this.name}: ${this.message}\n${belowPassThroughMocks(culprit.frames).map(v8Line).join('\n')}`,
            writable: true,
            configurable: true,
            enumerable: false,
          })
        }
      } finally {
        guard.depth--
      }
    }
  }
}

/** loopcop's own failure, never the user's: surfaced at the end of a test instead of changing its results. */
export class LoopcopInternalError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(`${message} (this is a bug in loopcop; the code under test was not affected)`, options)
    this.name = 'LoopcopInternalError'
  }
}
