/**
 * The file of the built module that calls `ownFile`: what an integration resolves and loads its
 * neighbours from. Inlined into each entry by the build, so the caller is the entry itself.
 * @module
 */

/**
 * The calling module's own file: `__filename` in the CommonJS build, the file URL V8 names the
 * calling frame by in the ES module build (which has no `__filename`, and `import.meta` cannot
 * appear in source compiled to both). `createRequire` takes either. `undefined` when the stack
 * cannot be read.
 */
export function ownFile(): string | undefined {
  if (typeof __filename === 'string') return __filename
  // eslint-disable-next-line @typescript-eslint/unbound-method -- saved to be put back as it was, never called here
  const original = Error.prepareStackTrace
  try {
    Error.prepareStackTrace = (_error, frames) => frames
    const holder: { stack?: unknown } = {}
    Error.captureStackTrace(holder, ownFile)
    const frames = holder.stack as NodeJS.CallSite[] | undefined
    return frames?.[0]?.getFileName() ?? undefined
  } catch {
    return undefined
  } finally {
    Error.prepareStackTrace = original
  }
}
