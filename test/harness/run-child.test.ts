// The end-to-end tests' way of running a runner (test/helpers/run.ts): a run that does not end in
// time is killed with every process it started, and fails saying so. Before, only the runner was
// killed: the test files' processes it had started kept its output pipes open, so its `close` never
// came, and under CI a `node --test` whose test had timed out left its processes running 16 minutes.
import { expect, test } from 'vitest'
import { runChild, startChild } from '../helpers/run.js'

/** Whether a process `pid` still runs. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/** A process that starts a child, prints its pid, and waits for ever, as does the child, which holds the pipes too. */
const PARENT = `
  const { spawn } = require('node:child_process')
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: ['ignore', 'inherit', 'inherit'] })
  console.log('grandchild ' + child.pid)
  setInterval(() => {}, 1000)
`

test('a run past its time-out is killed with the processes it started, and fails with its output', async () => {
  const failure = await runChild(process.execPath, ['-e', PARENT], { cwd: process.cwd(), env: process.env, timeoutMs: 3_000 }).then(
    () => undefined,
    (error: unknown) => error as Error,
  )
  expect(failure?.message).toMatch(/had not ended after 3000 ms and was killed with the processes it started; its output:\n[^]*grandchild \d+/)
  const pid = Number(/grandchild (\d+)/.exec(failure?.message ?? '')?.[1])
  // Killed with the group: gone (a zombie would still answer; the grandchild's parent reaped it or init does).
  await expect.poll(() => alive(pid), { timeout: 10_000 }).toBe(false)
})

test('a run that ends in time resolves with its exit code and output', async () => {
  const run = await runChild(process.execPath, ['-e', 'console.log("out"); console.error("err"); process.exit(3)'], { cwd: process.cwd(), env: process.env, timeoutMs: 60_000 })
  expect(run).toMatchObject({ code: 3, stdout: 'out\n', stderr: 'err\n' })
})

// The pid of the process started by the test below, which times out.
let orphan: number | undefined

test.fails('(times out on purpose: a run still going when its test times out)', async () => {
  const child = startChild(process.execPath, ['-e', PARENT], { cwd: process.cwd(), env: process.env })
  await new Promise<void>((resolve) => {
    child.stdout?.setEncoding('utf8').on('data', (text: string) => {
      const pid = /grandchild (\d+)/.exec(text)?.[1]
      if (pid !== undefined) {
        orphan = Number(pid)
        resolve()
      }
    })
  })
  // Never ends: Vitest times the test out.
  await new Promise(() => {})
}, 2_000)

test('is killed with the processes it started when its test ends', async () => {
  expect(orphan).toBeTypeOf('number')
  await expect.poll(() => alive(orphan ?? 0), { timeout: 10_000 }).toBe(false)
})
