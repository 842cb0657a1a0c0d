// The least a call judged by its own stack needs (bench/lib/floor.cjs in the runners,
// bench/kept-call.mjs in bare Node): V8's capture of `depth` frames above `above`, read as call
// sites (no formatter), keyed by their positions — each position (a script and an offset) known by
// a number, so that a stack's key is a short string, as loopcop's `Stacks` keys them.
'use strict'

const ownPrepare = (_error, sites) => sites

/** The header a runner's formatter is given for one call site (it reads only these). */
const HEADER = { name: 'Error', message: '' }
/** Frames no source map can move: Node's own code and the runners' packages (as loopcop skips them). */
const UNMAPPED = /^node:|\/node_modules\/(?:vitest|@vitest\/[^/]+|vite|vite-node|tinypool|jest|jest-[^/]+|@jest\/[^/]+|mocha)\//

/**
 * The main realm's `Error`, read off an error Node's own code makes. Under Jest a test file (and
 * this file, loaded from it) runs in a realm of its own whose `Error` has no formatter: Jest installs
 * its source-map support on the main realm's, where loopcop's core runs.
 */
function mainRealmError() {
  try {
    require('node:fs').statSync('\0')
  } catch (error) {
    const ctor = Object.getPrototypeOf(Object.getPrototypeOf(error))?.constructor
    if (typeof ctor === 'function') return ctor
  }
  return Error
}

/** Reads one call site through `owner`'s formatter, as reporting it at its source position would (the text is not kept). */
function mapOnce(owner, script, site) {
  const formatter = owner.prepareStackTrace
  if (typeof formatter !== 'function' || typeof script !== 'string' || UNMAPPED.test(script)) return
  try {
    formatter.call(owner, HEADER, [site])
  } catch {
    // A formatter that fails on a lone call site: the position stays generated.
  }
}

/**
 * A keyer with its own memo of positions: `key(depth, above)` is the key of the stack captured now.
 * With `map`, each new position of code that may have a source map (not Node's, not a runner's
 * package) is also read through the formatter the runner installed (`Error.prepareStackTrace`, or
 * the main realm's under Jest: Vitest's and Jest's map stacks), once a position: what reporting a
 * finding's location and stack at their source positions takes at the least (DESIGN.md), here for
 * every stack judged.
 */
function stackKeyer({ map = false } = {}) {
  const mainError = map ? mainRealmError() : Error
  const byScript = new Map()
  let ids = 0
  return function key(depth, above) {
    const holder = {}
    const limit = Error.stackTraceLimit
    Error.stackTraceLimit = depth
    Error.captureStackTrace(holder, above)
    Error.stackTraceLimit = limit
    const installed = Error.prepareStackTrace
    Error.prepareStackTrace = ownPrepare
    const sites = holder.stack
    Error.prepareStackTrace = installed
    let text = ''
    for (const site of sites) {
      const script = site.getFileName()
      let byOffset = byScript.get(script)
      if (byOffset === undefined) byScript.set(script, (byOffset = new Map()))
      const offset = site.getPosition()
      let id = byOffset.get(offset)
      if (id === undefined) {
        byOffset.set(offset, (id = ++ids))
        if (map) mapOnce(typeof installed === 'function' ? Error : mainError, script, site)
      }
      text += `,${id}`
    }
    return text
  }
}

module.exports = { stackKeyer }
