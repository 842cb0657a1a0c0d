import fs, { closeSync, lstatSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'

// Taken when loopcop loads, before a test can replace them: Node's `appendFileSync` and
// `writeFileSync` write through the `fs` module's own `writeFileSync`, so a test that stubs it
// (handlebars' precompiler tests, in a `beforeEach`) took a `--parallel` worker's findings.
const own = { openSync: fs.openSync, writeSync: fs.writeSync, closeSync: fs.closeSync }

/**
 * Appends `text` to `file`, made when missing, with the fs functions loopcop took when it loaded
 * (see `own`): nothing a test stubs sees it. Not scope-aware: callers run it outside every scope.
 */
export function appendText(file: string, text: string): void {
  const fd = own.openSync(file, 'a')
  try {
    writeAll(fd, Buffer.from(text), own.writeSync)
  } finally {
    own.closeSync(fd)
  }
}

/**
 * Writes `data` to `file` atomically, creating its folder: into a new temporary file next to it,
 * then renamed over it. A reader (CI, `npx loopcop merge`) sees the old report or the new one,
 * never half of one; and a symbolic link at `file` is replaced by the file, never followed (a link
 * planted there must not make loopcop overwrite what it points to). `mode` as `writeFileSync`'s
 * (0o666, less the umask, by default). Throws, with the reason, when it cannot (a folder in the
 * way, no permission, a full disk); the temporary file is removed. `data` may come in pieces (the
 * JSON report does), written as they come.
 * Not scope-aware: callers run it outside every scope.
 */
export function writeFileAtomically(file: string, data: string | Uint8Array | Iterable<string>, mode?: number): void {
  const folder = dirname(file)
  mkdirSync(folder, { recursive: true })
  if (lstatSync(file, { throwIfNoEntry: false })?.isDirectory() === true) throw new Error('there is a folder at that path')
  // Unique per process and call (time and randomness); `wx` refuses an existing path (a link included) instead of following it.
  const temp = join(folder, `.${basename(file)}.${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}.tmp`)
  try {
    const fd = openSync(temp, 'wx', mode)
    try {
      for (const piece of typeof data === 'string' || data instanceof Uint8Array ? [data] : data) writeAll(fd, typeof piece === 'string' ? Buffer.from(piece) : piece)
    } finally {
      closeSync(fd)
    }
    renameSync(temp, file)
  } catch (error) {
    rmSync(temp, { force: true })
    throw error
  }
}

/** Writes all of `bytes` at the file's position with `write` (`writeSync`, which may write part of them). */
function writeAll(fd: number, bytes: Uint8Array, write: typeof writeSync = writeSync): void {
  for (let at = 0; at < bytes.length; ) at += write(fd, bytes, at)
}

/**
 * Writes `text` to `file` as `writeFileAtomically` does, unless `file` is a regular file that holds
 * `text` already: then it is left alone, its times included, so that a watcher (Jest's watch mode,
 * whose roots a baseline file is usually in) sees no change. Returns whether it wrote.
 * Not scope-aware: callers run it outside every scope.
 */
export function writeChangedFileAtomically(file: string, text: string): boolean {
  const stat = lstatSync(file, { throwIfNoEntry: false })
  // Only a regular file is read: a named pipe planted at the path would never answer.
  if (stat?.isFile() === true && stat.size === Buffer.byteLength(text)) {
    try {
      if (readFileSync(file, 'utf8') === text) return false
    } catch {
      // unreadable: written over, as it would have been
    }
  }
  writeFileAtomically(file, text)
  return true
}
