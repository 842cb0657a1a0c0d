// `npm run lint` (after eslint): the module graph of src/ and integrations/ has no import cycle —
// type-only imports included — and every module imports only the layers below it
// (docs/architecture.md, "pieces"). Reads the imports with TypeScript's own scanner; fails with
// the cycle or the import that breaks a rule, file and line.
import { readFileSync, readdirSync, statSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, relative, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'

const require = createRequire(import.meta.url)
const ts = require('typescript')
const root = join(dirname(fileURLToPath(import.meta.url)), '..')

/**
 * What each part may import, besides itself. Subsystem folders sit on the model; the detector
 * composes them; the entry points take the detector; the runner integrations take the entry points.
 */
const LAYERS = {
  model: [],
  runtime: ['model'],
  stack: ['model', 'runtime'],
  intercept: ['model', 'runtime'],
  accounting: ['model', 'runtime', 'stack'],
  report: ['model', 'runtime', 'stack'],
  stall: ['model', 'runtime', 'stack', 'accounting'],
  assert: ['model', 'runtime', 'report', 'accounting'],
  runner: ['runtime'],
  version: [],
  lifecycle: ['model', 'runtime', 'accounting', 'report'],
  detector: ['model', 'runtime', 'stack', 'accounting', 'intercept', 'stall', 'report', 'assert', 'lifecycle'],
  process: ['detector', 'version'],
  core: ['process', 'runner', 'model', 'report', 'runtime'],
  // The entry points take values from core only; the other parts are named for their types.
  index: ['core', 'model', 'accounting', 'intercept', 'report'],
  integration: ['core', 'model', 'accounting', 'report', 'assert', 'lifecycle'],
  integrations: ['index', 'integration', 'runner'],
  // The command line reads and writes reports; it never loads the detector.
  cli: ['model', 'runtime', 'stack', 'report', 'version'],
}

/** The layer of a module: its folder under src/ (or its name, at the top of src/), or `integrations`. */
function layerOf(file) {
  const parts = relative(root, file).split(sep)
  if (parts[0] === 'integrations') return 'integrations'
  if (parts.length === 2) return parts[1].replace(/\.[cm]?[jt]s$/, '')
  return parts[1]
}

function sources(dir) {
  const out = []
  for (const name of readdirSync(dir)) {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) out.push(...sources(path))
    else if (/\.(ts|mts|cts|mjs|cjs|js)$/.test(name) && !name.endsWith('.d.ts')) out.push(path)
  }
  return out
}

/** The file an import names, if it is one of ours (`./x.js` is written for `./x.ts`). */
function resolveImport(from, specifier) {
  if (!specifier.startsWith('.')) return undefined
  const target = resolve(dirname(from), specifier)
  for (const candidate of [target, target.replace(/\.js$/, '.ts'), target.replace(/\.mjs$/, '.mts'), target.replace(/\.cjs$/, '.cts'), `${target}.ts`, join(target, 'index.ts')]) {
    if (graph.has(candidate)) return candidate
  }
  return undefined
}

const files = [...sources(join(root, 'src')), ...sources(join(root, 'integrations'))]
/** @type {Map<string, { to: string, line: number }[]>} */
const graph = new Map(files.map((f) => [f, []]))
const problems = []
const show = (file, line) => `${relative(root, file)}:${line}`

for (const file of files) {
  const text = readFileSync(file, 'utf8')
  const { importedFiles } = ts.preProcessFile(text, true, true)
  for (const imported of importedFiles) {
    const target = resolveImport(file, imported.fileName)
    if (target === undefined) {
      if (imported.fileName.startsWith('.')) problems.push(`${show(file, 0)}: imports ${imported.fileName}, which is not a module of src/ or integrations/`)
      continue
    }
    const line = ts.getLineAndCharacterOfPosition(ts.createSourceFile(file, text, ts.ScriptTarget.Latest), imported.pos).line + 1
    graph.get(file).push({ to: target, line })
    const from = layerOf(file)
    const to = layerOf(target)
    const allowed = LAYERS[from]
    if (allowed === undefined) problems.push(`${show(file, line)}: ${from} is not a known part (scripts/check-imports.mjs LAYERS)`)
    else if (from !== to && !allowed.includes(to)) problems.push(`${show(file, line)}: ${from} may not import ${to} (${imported.fileName})`)
  }
}

// Cycles: Tarjan's strongly connected components; any component of two or more modules (or a
// module importing itself) is a cycle.
let index = 0
const stack = []
const state = new Map()
function connect(v) {
  const s = { index, low: index, onStack: true }
  index++
  state.set(v, s)
  stack.push(v)
  for (const { to } of graph.get(v)) {
    const t = state.get(to)
    if (t === undefined) {
      connect(to)
      s.low = Math.min(s.low, state.get(to).low)
    } else if (t.onStack) s.low = Math.min(s.low, t.index)
  }
  if (s.low === s.index) {
    const component = []
    let w
    do {
      w = stack.pop()
      state.get(w).onStack = false
      component.push(w)
    } while (w !== v)
    const selfImport = graph.get(v).some((e) => e.to === v)
    if (component.length > 1 || selfImport) problems.push(`import cycle: ${component.map((f) => relative(root, f)).sort().join(' → ')}`)
  }
}
for (const file of graph.keys()) if (!state.has(file)) connect(file)

if (problems.length > 0) {
  console.error(`check-imports: ${problems.length} problem${problems.length === 1 ? '' : 's'}:`)
  for (const p of problems) console.error(`  ${p}`)
  process.exitCode = 1
} else {
  console.log(`check-imports: ${graph.size} modules of src/ and integrations/, no import cycle, every import within its layers`)
}
