// Stacks the runner formats, without loopcop's own frames (docs/architecture.md, "stack"). Each test
// runs inside loopcop's wrapper and scope, so every stack captured while its synchronous part runs
// holds loopcop's frames under the test's own: Jest prints such a stack for every `console.warn` and
// `console.error` of a test, and a test may print an error's `stack` itself.
import { keepShape } from '../runtime/functions.js'
import { isStorageSite, toPath } from './callsites.js'
import { withoutOwn } from './frames.js'

/** `Error.prepareStackTrace` as V8 calls it. */
type Formatter = (error: Error, sites: NodeJS.CallSite[]) => unknown

/** On a formatter made here: the one it hides loopcop's frames from (so it is never wrapped twice). */
const INNER = Symbol.for('loopcop.ownSitesHidden')

/**
 * The call sites without those in `isOwn` files, nor an `AsyncLocalStorage.run` or `.exit` called from one
 * (the frames `stackWithoutOwnFrames` takes out of a stack's text); the same array when it holds none.
 */
export function withoutOwnSites(sites: readonly NodeJS.CallSite[], isOwn: (file: string) => boolean): readonly NodeJS.CallSite[] {
  let own: boolean[] | undefined
  for (let i = 0; i < sites.length; i++) {
    // A string, or (eval code, native frames) undefined or null whatever the types say.
    const file: unknown = (sites[i] as NodeJS.CallSite).getFileName()
    if (typeof file !== 'string' || !isOwn(toPath(file))) continue
    own ??= new Array<boolean>(sites.length).fill(false)
    own[i] = true
  }
  return own === undefined ? sites : withoutOwn(sites, own, isStorageSite)
}

/** A realm's `Error`, as far as formatting its stacks goes. */
export interface ErrorClass {
  prepareStackTrace?: unknown
}

/** Runs the installed formatter (`format`), as the caller accounts for its time (`Guard.asRunnerWork`). */
export type RunFormatter = (format: () => unknown) => unknown

/**
 * Has the `Error.prepareStackTrace` installed in a realm (the runner's: Jest's source-map support)
 * format stacks without loopcop's own call sites, until the returned function puts it back. Nothing
 * changes where no formatter is installed, or where it hides them already. The wrapper keeps the
 * formatter's `name` and `length`; a formatter installed over it later is left alone when it is put
 * back. The formatter runs through `around`.
 */
export function hideOwnSites(errorClass: ErrorClass, isOwn: (file: string) => boolean, around: RunFormatter = (format) => format()): () => void {
  const inner = errorClass.prepareStackTrace as Formatter | undefined
  if (typeof inner !== 'function' || INNER in inner) return () => {}
  const hiding = keepShape(
    function prepareStackTrace(this: unknown, error: Error, sites: NodeJS.CallSite[]): unknown {
      let shown: readonly NodeJS.CallSite[] = sites
      try {
        shown = withoutOwnSites(sites, isOwn)
      } catch {
        // A call site that cannot be read: the stack as the formatter shows it, loopcop's frames in.
      }
      return around(() => Reflect.apply(inner, this, [error, shown as NodeJS.CallSite[]]))
    },
    inner,
    { [INNER]: inner },
  )
  errorClass.prepareStackTrace = hiding
  return () => {
    if (errorClass.prepareStackTrace === hiding) errorClass.prepareStackTrace = inner
  }
}
