// Frame lines of loopcop's messages written for Jest. A leaf module (no imports): Jest's matchers
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
