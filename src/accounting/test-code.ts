// The tests' own code (docs/architecture.md, "allow rules"): which files are test files, and the
// rules a test's scope runs with when `testCode: 'allow'` lets the tests' own blocking calls pass.
import { resolve } from 'node:path'
import { type CompiledRule, testCodeRule } from './allow.js'
import type { Settings } from './settings.js'
import { projectCwd } from '../runtime/cwd.js'

/**
 * The test files of the run as far as this process knows them: those an integration registered
 * (Mocha: every spec file it loaded), and always the running test's own file. Keeps the rule list
 * each test file runs with, so verdicts stay cached per rule list (`Judge`).
 */
export class TestFiles {
  readonly #files = new Set<string>()
  #rules = new WeakMap<Settings, Map<string, readonly CompiledRule[]>>()
  /** The last absolute test file asked for, and its normal form (the tests of a file ask in a row). */
  #lastFile: string | undefined
  #lastNormal = ''

  /** Registers files the runner runs as tests (absolute, or relative to the project's directory, `projectCwd`). */
  add(files: Iterable<string>): void {
    let added = false
    for (const file of files) {
      const abs = resolve(projectCwd(), file)
      if (this.#files.has(abs)) continue
      this.#files.add(abs)
      added = true
    }
    if (added) this.#rules = new WeakMap()
  }

  /** A test's file as an absolute, normalized path (relative ones against the project's directory). */
  absolute(file: string): string {
    if (file === this.#lastFile) return this.#lastNormal
    const normal = resolve(projectCwd(), file)
    this.#lastFile = file
    this.#lastNormal = normal
    return normal
  }

  /** Whether a file is a test file, `testFile` (the running test's) included. */
  has(file: string, testFile: string | undefined): boolean {
    return file === testFile || this.#files.has(file)
  }

  /**
   * The rules of a test's scope: the configured ones, then (with `testCode: 'allow'`) the "test
   * code" rule, after the built-in runner rules so that the runner's machinery stays unreported.
   */
  rulesFor(settings: Settings, testFile: string | undefined): readonly CompiledRule[] {
    if (settings.testCode !== 'allow') return settings.rules
    // A registered test file adds nothing to the registered ones: the tests of all of them share one
    // rule list (Mocha registers every spec file), so a call judged in one file's test is judged for
    // all (a root hook's fixture read, made in every test of the run).
    const own = testFile === undefined ? undefined : this.absolute(testFile)
    const key = own === undefined || this.#files.has(own) ? '' : own
    let byFile = this.#rules.get(settings)
    if (byFile === undefined) {
      byFile = new Map()
      this.#rules.set(settings, byFile)
    }
    let rules = byFile.get(key)
    if (rules === undefined) {
      const added = key === '' ? undefined : own
      rules = Object.freeze([...settings.rules, testCodeRule((file) => this.has(file, added))])
      if (byFile.size > 1_000) byFile.clear()
      byFile.set(key, rules)
    }
    return rules
  }
}
