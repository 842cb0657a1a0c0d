// Child processes of the CI scripts (version matrix, package-manager smoke runs): each in a
// process group of its own, so that a timeout or Ctrl-C ends it with every worker it started.
import { spawn } from 'node:child_process'

const children = new Set()

function killGroup(child) {
  try {
    process.kill(-child.pid, 'SIGKILL')
  } catch {
    // Already gone.
  }
}

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    for (const child of children) killGroup(child)
    process.exit(130)
  })
}

/**
 * Runs a command; resolves with `{ code, output, timedOut, ms }` (stdout and stderr together).
 * Never rejects: a command that cannot start resolves with `code: null` and the reason in `output`.
 * `label` names the caller in the line added when the command is killed for its timeout.
 */
export function runChild(command, args, { cwd, env = process.env, timeoutMs, label }) {
  return new Promise((resolve) => {
    const started = Date.now()
    let output = ''
    let timedOut = false
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true })
    children.add(child)
    const onData = (data) => (output += data)
    child.stdout.setEncoding('utf8').on('data', onData)
    child.stderr.setEncoding('utf8').on('data', onData)
    const timer = setTimeout(() => {
      timedOut = true
      killGroup(child)
    }, timeoutMs)
    // Workers a runner left behind would hold the pipes open: the group goes with its leader.
    child.on('exit', () => killGroup(child))
    let finished = false
    const done = (code, error) => {
      if (finished) return
      finished = true
      clearTimeout(timer)
      children.delete(child)
      if (error !== undefined) output += `\n${error.message}`
      if (timedOut) output += `\n[${label}] killed after ${timeoutMs / 1000} s: ${command} ${args.join(' ')}`
      resolve({ code, output, timedOut, ms: Date.now() - started })
    }
    child.on('error', (error) => done(null, error))
    child.on('close', (code) => done(code))
  })
}
