// Frame lines of loopcop's messages written for Jest, and its messages' lines for Mocha. A leaf module (no imports): Jest's matchers
// entry bundles it without evaluating the core in each test file's realm, and the Jest environment
// hands it to the core for the `BlockingIOError`s of its process (`rewriteMessages`).

/** A frame line of a message: `   at fn (file:1:2)`. */
const FRAME_LINE = /^(\s+)at (?=.*:\d+:\d+\)?$)/gm

/**
 * A message with its frame lines written `in fn (file:1:2)`: Jest takes the first line of a failure
 * message that reads like a stack frame for the start of the stack trace, cuts the message there
 * and looks the code frame up from that line.
 */
export function framesReadIn(text: string): string {
  return text.replace(FRAME_LINE, '$1in ')
}

/** Where Mocha's reporters print the first line of a failure's message: five spaces in, under the test's title. */
const MOCHA_MESSAGE_INDENT = '     '

/**
 * A message with its later lines indented to sit under its first, as Mocha prints it: at five
 * spaces, after `  4) title:`, and the later lines as they are, so a message's `  1) fs.readFileSync`
 * lines read as more of Mocha's numbered failures (ejs's suite).
 */
export function linesUnderMochaTitle(text: string): string {
  return text.replace(/\n(?=.)/g, `\n${MOCHA_MESSAGE_INDENT}`)
}
