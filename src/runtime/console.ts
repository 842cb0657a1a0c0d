// How the runner integrations print loopcop's lines through the test file's console.

/**
 * The `warn` of a console as it is now, called on it: loopcop's lines go through the runner's
 * console (the runner shows them with the test file's output), and, taken before any test code
 * ran, they never become one of a test's console calls. A spy on `console.warn` a test installs
 * later (`jest.spyOn`, `vi.spyOn`) neither records them nor swallows them: a test asserting that
 * nothing warned failed on loopcop's warning for the test before it, in `warn` mode too (seen on
 * dom-testing-library). Undefined when the console has no `warn`.
 */
export function warnOf(console: unknown): ((text: string) => void) | undefined {
  const warn = typeof console === 'object' && console !== null ? (console as { warn?: unknown }).warn : undefined
  if (typeof warn !== 'function') return undefined
  return (text) => {
    Reflect.apply(warn, console, [text])
  }
}

/**
 * Writes lines to a stream through its `write` as it is now, for loopcop's lines on stderr (Mocha,
 * node:test), each ended by a newline: taken when loopcop loads, before any test code ran, so a
 * test's stub of `process.stderr.write` (a CLI's tests capture its output so) neither records
 * loopcop's lines nor swallows them (see `warnOf`).
 */
export function lineWriterOf(stream: NodeJS.WritableStream): (text: string) => void {
  // Called on the stream below, as its own `write` is.
  // eslint-disable-next-line @typescript-eslint/unbound-method
  const write = stream.write
  return (text) => {
    Reflect.apply(write, stream, [text.endsWith('\n') ? text : `${text}\n`])
  }
}
