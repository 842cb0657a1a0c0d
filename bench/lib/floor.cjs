// The floor of the runner benchmark (bench/runners.mjs, variant `floor`): the least any detector
// doing what DESIGN.md asks must do inside a test runner, and nothing else. It is not loopcop; it
// measures what loopcop cannot go below, in the same runner, on the same fixture, alternating with
// the runs without and with loopcop (issue 12: "where a floor stops you, show the measurement").
//
// What it does, each piece a requirement:
//   - every test runs in an AsyncLocalStorage store (a call made by a test's async code must be
//     told from another test's and from the runner's own: on Node 20 that turns on the promise
//     hooks, a cost on every promise the runner and the test make);
//   - every blocking API DESIGN.md lists is wrapped, in every process and worker thread: the 43
//     `fs.*Sync` (and `fs.Dir`'s), `child_process`'s three, `zlib.*Sync`, `crypto.*Sync` and its
//     four calls that block without a callback, `Atomics.wait`. `crypto`, `zlib` and
//     `child_process` are loaded where the runner did not load them (~4 ms a fresh worker thread on
//     Node 20), but on Node 22.15 and later, where `module.registerHooks` sees every way a module
//     asks for one, each is wrapped when first asked for, as loopcop does (bench/README.md,
//     "Seventh pass" and "Eighteenth pass");
//   - every sync call a test makes is judged by its own stack (the outermost one: `readFileSync`
//     calling `openSync` is one call): V8 captures `FLOOR_DEPTH` frames (20: `traceDepth` + 10, as
//     loopcop with a rule that looks at any frame, like the fixture's `package` rule), read as call
//     sites and keyed by their positions (the least a verdict cache needs);
//   - one stall watchdog thread per process (a stall's stack can only be taken from another thread
//     while the test's thread is blocked) and a heartbeat timer on each test thread.
// What it leaves out: the verdict itself (rules), findings, messages, reports, the per-test timing
// and stall bookkeeping, argument summaries, and everything else a detector's code is (it loads
// no code of its own beyond this file).
// With FLOOR_MAP=1 (the benchmark's `floor-mapped` variant) it also reads each new position of the
// judged stacks through the runner's source-mapping formatter, as reporting findings at their
// source lines needs (DESIGN.md): under Vitest that is Vite's, which decodes each file's map in
// every fresh worker.
//
// Loaded once per process: under Jest each test file evaluates it again in its own module registry,
// so its state lives on the `fs` module object (core modules are shared by every registry).
'use strict'
const fs = require('node:fs')
const { AsyncLocalStorage } = require('node:async_hooks')
const { Worker, isMainThread } = require('node:worker_threads')
const { performance } = require('node:perf_hooks')
const { stackKeyer } = require('./stack-key.cjs')

const STATE = Symbol.for('loopcop.bench.floor')
const DEPTH = Number(process.env.FLOOR_DEPTH ?? 20)
// FLOOR_MAP=1: also map each new position through the runner's formatter (see stack-key.cjs).
const MAP = process.env.FLOOR_MAP === '1'
// FLOOR_LEAVE_OUT=watchdog,wrap,heartbeat: probes that take one requirement out, to see what it costs
// (bench/README.md, "Fourteenth pass"): no watchdog thread; only `fs` wrapped (`child_process`,
// `zlib`, `crypto` neither loaded nor wrapped, `Atomics.wait` not wrapped); no heartbeat timer.
// (FLOOR_DEPTH=0 takes out the stack captures.) With any of them it is not the floor any more.
const LEAVE_OUT = new Set((process.env.FLOOR_LEAVE_OUT ?? '').split(',').filter((part) => part !== ''))
for (const part of LEAVE_OUT) if (!['watchdog', 'wrap', 'heartbeat'].includes(part)) throw new Error(`FLOOR_LEAVE_OUT: unknown part ${JSON.stringify(part)} (watchdog, wrap or heartbeat)`)

function install(onJudged) {
  const als = new AsyncLocalStorage()
  const stackKey = stackKeyer({ map: MAP })
  const keys = new Map()
  let judged = 0
  let blockedMs = 0
  const judge = (above) => {
    const key = stackKey(DEPTH, above)
    keys.set(key, (keys.get(key) ?? 0) + 1)
    judged++
    if (onJudged !== undefined) onJudged(judged)
  }
  let depth = 0
  const wrap = (owner, name, blocks = () => true) => {
    const original = owner[name]
    if (typeof original !== 'function') return
    const wrapper = {
      [name](...args) {
        if (depth > 0 || als.getStore() === undefined || !blocks(args)) return Reflect.apply(original, this, args)
        // Every call is counted and timed; what it calls itself (and the judging) is part of it.
        depth++
        try {
          judge(wrapper)
          const t0 = performance.now()
          try {
            return Reflect.apply(original, this, args)
          } finally {
            blockedMs += performance.now() - t0
          }
        } finally {
          depth--
        }
      },
    }[name]
    for (const key of Reflect.ownKeys(original)) if (key !== 'length' && key !== 'name' && key !== 'prototype') Object.defineProperty(wrapper, key, Object.getOwnPropertyDescriptor(original, key))
    // As the property was (Node 26's `zlib.createZipArchiveSync` is read-only, but configurable).
    Object.defineProperty(owner, name, { ...Object.getOwnPropertyDescriptor(owner, name), value: wrapper })
  }
  const syncs = (mod) => Object.keys(mod).filter((name) => name.endsWith('Sync'))
  const noCallback = (args) => typeof args[args.length - 1] !== 'function'
  for (const name of syncs(fs)) wrap(fs, name)
  wrap(fs.Dir.prototype, 'readSync')
  wrap(fs.Dir.prototype, 'closeSync')
  if (!LEAVE_OUT.has('wrap')) {
    const wrapBuiltin = {
      child_process: (childProcess) => { for (const name of ['execSync', 'execFileSync', 'spawnSync']) wrap(childProcess, name) },
      zlib: (zlib) => { for (const name of syncs(zlib)) wrap(zlib, name) },
      crypto: (crypto) => {
        for (const name of syncs(crypto)) wrap(crypto, name)
        for (const name of ['randomBytes', 'randomInt', 'sign', 'verify']) wrap(crypto, name, noCallback)
      },
    }
    // Wrapped when a module first asks for one where a resolve hook can see every way to ask (Node
    // 22.15+), as loopcop does (src/intercept/builtins.ts); else loaded and wrapped now.
    const list = process.moduleLoadList
    const later = Object.keys(wrapBuiltin).filter((name) => Array.isArray(list) && !list.includes(`NativeModule ${name}`))
    const registerHooks = require('node:module').registerHooks
    const getBuiltin = process.getBuiltinModule
    const lazy = later.length > 0 && typeof registerHooks === 'function' && typeof getBuiltin === 'function'
    for (const name of Object.keys(wrapBuiltin)) if (!lazy || !later.includes(name)) wrapBuiltin[name](require(`node:${name}`))
    if (lazy) {
      const pending = new Set(later)
      const asked = (id) => {
        const name = typeof id === 'string' ? id.replace(/^node:/, '') : ''
        if (!pending.delete(name)) return
        wrapBuiltin[name](getBuiltin(`node:${name}`))
        require('node:module').syncBuiltinESMExports()
        if (pending.size > 0) return
        hooks.deregister()
        process.getBuiltinModule = getBuiltin
      }
      const hooks = registerHooks({ resolve(specifier, context, next) { asked(specifier); return next(specifier, context) } })
      process.getBuiltinModule = function getBuiltinModule(id) { asked(id); return getBuiltin.call(this, id) }
    }
    wrap(Atomics, 'wait')
  }
  require('node:module').syncBuiltinESMExports()
  // One watchdog per process, on its main thread: a worker thread (Vitest's `threads` pool) is watched
  // by the process's one (the runner's main thread starts it once a run; left out here).
  if (isMainThread && !LEAVE_OUT.has('watchdog')) new Worker("require('node:worker_threads').parentPort.on('message', () => {})", { eval: true, execArgv: [], env: {} }).unref()
  let beat
  const heartbeat = () => {
    if (beat !== undefined) return
    if (LEAVE_OUT.has('heartbeat')) return
    beat = setInterval(() => {}, 20)
    beat.unref()
  }
  return {
    /** ms the judged calls blocked, all told (kept as loopcop keeps it; read by no one here). */
    blockedMs: () => blockedMs,
    /** Enters a test's store for the rest of the test (Mocha's root `beforeEach`: its hooks and test run on from there). */
    enter() {
      heartbeat()
      als.enterWith({ test: true })
    },
    /** Runs a test (or a hook of it) in a store of its own (Vitest's `aroundEach`, Jest's wrapped `test` and hooks). */
    run(fn) {
      heartbeat()
      return als.run({ test: true }, fn)
    },
  }
}

// FLOOR_DEBUG=<dir>: each process writes how many calls it judged (to check the floor judges what
// loopcop does; workers may be killed rather than exit, so written as it goes — slow, for checking only).
const debug = process.env.FLOOR_DEBUG
const state = fs[STATE] ?? (fs[STATE] = install(debug ? (n) => fs.writeFileSync(`${debug}/${process.pid}`, String(n)) : undefined))
module.exports = { enter: () => state.enter(), run: (fn) => state.run(fn) }
