// What a process allocates that outlives the young generation: a preload (`node --require
// bench/lib/promoted.cjs …`, or in NODE_OPTIONS) that samples allocations with V8's heap profiler,
// keeping those a young-generation collection did not free — objects promoted to the old
// generation, whether a full collection freed them later or they are still alive at exit — and
// writes at exit, to the file `PROMOTED_OUT` names (default: stderr), the sampled bytes by the
// function that allocated them, largest first. Used for the eleventh pass of bench/README.md:
// objects that die young cost a scavenge next to nothing; promoted ones are marked and compacted.
// A measuring tool, not a test. Usage: PROMOTED_OUT=<file> PROMOTED_TOP=<rows> node --require
// bench/lib/promoted.cjs <the runner and its arguments>; `%p` in the file name is the process id
// (with NODE_OPTIONS, each of a runner's worker processes writes its own).
'use strict'
const inspector = require('node:inspector')
const fs = require('node:fs')

const session = new inspector.Session()
session.connect()
session.post('HeapProfiler.enable')
session.post('HeapProfiler.startSampling', { samplingInterval: 4096, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: false })

process.on('exit', () => {
  session.post('HeapProfiler.stopSampling', (error, result) => {
    if (error) return
    const bytes = new Map()
    let total = 0
    const walk = (node) => {
      const { functionName, url, lineNumber } = node.callFrame
      const where = `${functionName || '(anonymous)'} ${url.replace(/^.*node_modules\//, '')}:${lineNumber + 1}`
      bytes.set(where, (bytes.get(where) ?? 0) + node.selfSize)
      total += node.selfSize
      for (const child of node.children) walk(child)
    }
    walk(result.profile.head)
    const rows = [...bytes].sort((a, b) => b[1] - a[1]).slice(0, Number(process.env.PROMOTED_TOP ?? 30))
    const text = [`promoted (sampled): ${(total / 1024).toFixed(0)} KB`, ...rows.map(([where, n]) => `${(n / 1024).toFixed(0).padStart(8)} KB  ${where}`)].join('\n') + '\n'
    if (process.env.PROMOTED_OUT) fs.writeFileSync(process.env.PROMOTED_OUT.replace('%p', String(process.pid)), text)
    else process.stderr.write(text)
  })
})
