// Lines in TypeScript that no source map reaches, said in the run summary (docs/architecture.md,
// "stack"): a module loader that compiles TypeScript in hooks off the main thread (`--loader
// ts-node/esm`, Node 20+) leaves the main thread no source-map support, and Node keeps no source
// maps unless asked (`--enable-source-maps`). Every line shown in those files, loopcop's and the
// runner's own, is then the compiled JavaScript's. loopcop cannot map them itself; it says so.
import type { Finding } from '../model/finding.js'
import { displayPath } from '../stack/frames.js'
import { nodeMapsStacks } from '../stack/sourcemaps.js'
import { givenFlags, nodeFlags } from '../runtime/node-flags.js'

/** A TypeScript file's extension. */
const TYPESCRIPT = /\.(?:[cm]?ts|tsx)$/

/**
 * The module loaders this process's command line and NODE_OPTIONS give Node (`--loader`,
 * `--experimental-loader`, or an `--import` that registers ts-node's hooks), in their order: on
 * Node 20 and later their hooks run off the main thread.
 */
export function moduleLoaders(execArgv: readonly string[] = process.execArgv, nodeOptions = process.env.NODE_OPTIONS ?? ''): string[] {
  const loaders: string[] = []
  for (const { name, value } of givenFlags(nodeFlags(execArgv, nodeOptions), ['--loader', '--experimental-loader', '--import'])) {
    if (name !== '--import') loaders.push(value)
    else if (value.includes('ts-node/esm')) loaders.push(value.startsWith('data:') ? 'ts-node/esm' : value)
  }
  return loaders.filter((l) => l !== '')
}

/** What the note is decided from: where the findings are, the loaders given, whether Node maps stacks. */
export interface LoaderLinesContext {
  readonly loaders: readonly string[]
  /** `process.sourceMapsEnabled`: Node keeps source maps (`--enable-source-maps`, `process.setSourceMapsEnabled`). */
  readonly sourceMaps: boolean
  readonly cwd?: string | undefined
}

/** The context of this process. */
export function loaderLinesContext(cwd?: string): LoaderLinesContext {
  return { loaders: moduleLoaders(), sourceMaps: nodeMapsStacks(), cwd }
}

/**
 * The note a run summary ends with when a finding is in a TypeScript file that a module loader
 * compiled and no source map reaches: its lines are the compiled JavaScript's. Undefined otherwise.
 */
export function loaderLinesNote(findings: readonly Finding[], context: LoaderLinesContext = loaderLinesContext()): string | undefined {
  if (context.sourceMaps || context.loaders.length === 0) return undefined
  const site = findings.find((f) => f.location !== undefined && TYPESCRIPT.test(f.location.file))?.location
  if (site === undefined) return undefined
  const where = `${displayPath(site.file, context.cwd)}:${site.line}`
  return `loopcop: the lines shown in TypeScript files (${where}, …) may be the compiled JavaScript's, not yours: a module loader compiles them off the main thread (--loader ${context.loaders[0] ?? ''}), and Node keeps no source maps unless asked (your own stack traces show the same lines). Run with NODE_OPTIONS=--enable-source-maps to see TypeScript lines.`
}
