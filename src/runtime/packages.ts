// Which package a file belongs to: read off its path (the name after the last `node_modules`), for
// stack frames (allow rules, offenders) and for the module cache (who loaded a copy of fs).
import { sep } from 'node:path'

// A memo of a pure function (file → package), bounded: not state anyone reads back.
const packages = new Map<string, string | undefined>()

/** The package a file belongs to (`pino`, `@scope/name`), or `undefined` for first-party code. Memoized per file. */
export function packageOf(file: string): string | undefined {
  if (packages.has(file)) return packages.get(file)
  const norm = file.split(sep).join('/')
  const at = norm.lastIndexOf('/node_modules/')
  let pkg: string | undefined
  if (at >= 0) {
    const rest = norm.slice(at + '/node_modules/'.length).split('/')
    if (rest[0] !== undefined) pkg = rest[0].startsWith('@') && rest[1] !== undefined ? `${rest[0]}/${rest[1]}` : rest[0]
  }
  if (packages.size > 10_000) packages.clear()
  packages.set(file, pkg)
  return pkg
}

/** `node_modules` as a folder in a path of this platform. */
const NODE_MODULES = `${sep}node_modules${sep}`

/** True for code inside a `node_modules` folder (a dependency's file). */
export function isDependency(file: string): boolean {
  return file.includes(NODE_MODULES) || file.includes('/node_modules/')
}
