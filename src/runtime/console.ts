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
