import fs from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, test } from 'vitest'
import { BlockingIOError, configure, detect, detectSync, type SyncIoFinding } from '../../src/index.js'
import { formatSummary } from '../../src/report/summary.js'
import { defaultsWithoutStalls, here, syncIo, tempDir } from './support.js'

defaultsWithoutStalls()
const thisFile = fileURLToPath(import.meta.url)
const dir = tempDir()

async function refusal(fn: () => unknown): Promise<BlockingIOError> {
  const error: unknown = await detect(fn, { mode: 'throw' }).then(
    () => undefined,
    (e: unknown) => e,
  )
  if (!(error instanceof BlockingIOError)) throw new Error(`expected a BlockingIOError, got ${String(error)}`)
  return error
}

describe("mode: 'throw'", () => {
  test('throws a BlockingIOError at the call, before the call ran', async () => {
    const target = join(dir, 'never-written.txt')
    const error = await refusal(() => fs.writeFileSync(target, 'x'))
    expect(fs.existsSync(target)).toBe(false)
    expect(error).toBeInstanceOf(BlockingIOError)
    expect(error).toBeInstanceOf(Error)
    expect(error.name).toBe('BlockingIOError')
    expect(error.findings).toHaveLength(1)
    expect(error.findings[0]).toMatchObject({ kind: 'sync-io', operation: 'fs.writeFileSync', raised: true, calls: 1, allowed: false, args: target })
  })

  test('its stack points at the calling line', async () => {
    let at = { file: '', line: 0 }
    const error = await refusal(() => {
      at = here()
      fs.readFileSync(thisFile)
    })
    const frames = error.stack!.split('\n').filter((l) => l.startsWith('    at '))
    expect(frames[0]).toContain(`${thisFile}:${at.line + 1}:`)
    expect(at.file).toBe(thisFile)
    expect((error.findings[0] as SyncIoFinding).location).toMatchObject({ file: thisFile, line: at.line + 1 })
    // The message says what was refused (it blocked nothing: no time) and what to use instead.
    const lines = error.message.split('\n')
    expect(lines[0]).toBe('1 blocking operation on the event loop')
    expect(lines[1]).toBe(`  1) fs.readFileSync(${JSON.stringify(thisFile)}) — refused before it ran (mode: throw) — use fs.promises.readFile`)
    expect(lines[2]).toMatch(new RegExp(`^ {7}at (\\S+ \\()?test/core/throw-mode\\.test\\.ts:${at.line + 1}:\\d+\\)?$`))
    expect(lines.at(-1)).toBe('Allow it with allowBlocking() in the test or an `allow` rule in loopcop\'s options; accept what the code blocks on today with a baseline (LOOPCOP_UPDATE_BASELINE=1).')
  })

  test('a refused call the code caught is still a finding of the scope', async () => {
    const { value, findings, blocking } = await detect(
      () => {
        try {
          fs.statSync(dir)
          return 'not refused'
        } catch (error) {
          return error
        }
      },
      { mode: 'throw' },
    )
    expect(value).toBeInstanceOf(BlockingIOError)
    expect(syncIo(findings).map((f) => [f.operation, f.raised, f.allowed])).toEqual([['fs.statSync', true, false]])
    expect(blocking).toEqual(findings)
  })

  test('the run summary says a refused call was refused, not that it blocked 0 ms (socket.io: the code caught it and answered 400)', async () => {
    const { findings } = await detect(
      () => {
        try {
          fs.statSync(dir)
        } catch {
          // The code under test turns the refusal into an answer of its own.
        }
      },
      { mode: 'throw' },
    )
    const lines = formatSummary(findings).split('\n')
    expect(lines[1]).toMatch(/^ {2}fs\.statSync at test\/core\/throw-mode\.test\.ts:\d+:\d+: 1 call, refused before it ran \(mode: throw\)$/)
    // unstorage: "2 calls, refused before it ran".
    const twice = formatSummary([...findings].map((f) => ({ ...f, calls: 2 }))).split('\n')
    expect(twice[1]).toMatch(/: 2 calls, refused before they ran \(mode: throw\)$/)
  })

  test('an allowed call runs as usual', async () => {
    const target = join(dir, 'written.txt')
    const { findings } = await detect(() => fs.writeFileSync(target, 'x'), { mode: 'throw', allow: ['fs.writeFileSync'] })
    expect(fs.readFileSync(target, 'utf8')).toBe('x')
    expect(syncIo(findings).map((f) => [f.operation, f.raised, f.allowed, f.allowedBy])).toEqual([['fs.writeFileSync', false, true, 'fs.writeFileSync']])
    const byFrame = await detect(() => fs.statSync(target), { mode: 'throw', allow: [{ caller: '**/throw-mode.test.ts' }] })
    expect(byFrame.blocking).toEqual([])
  })

  // pug under Jest: in `throw` mode, no call the "test code" rule allowed had a place in the report
  // (346 of them, all `"unstacked": true`), and two sites were one finding. As in `fail` mode, a call
  // a rule that reads the stack allowed keeps it, for the report to show where it was allowed.
  test('a call a stack-reading rule allowed is reported at its line, one finding a site, as in fail mode', async () => {
    const target = join(dir, 'allowed-by-frame.txt')
    fs.writeFileSync(target, 'x')
    const allow = [{ caller: '**/throw-mode.test.ts' }]
    const run = async (mode: 'throw' | 'fail') =>
      syncIo(
        (
          await detect(
            () => {
              for (let i = 0; i < 2; i++) fs.statSync(target) // allowed: first
              fs.readFileSync(target) // allowed: second
            },
            { mode, allow },
          )
        ).findings,
      ).map((f) => [f.operation, f.calls, f.allowed, f.unstacked === true, f.location?.file, f.location?.line])
    const lines = fs.readFileSync(thisFile, 'utf8').split('\n')
    const line = (mark: string): number => lines.findIndex((l) => l.includes(`// allowed: ${mark}`)) + 1
    const expected = [
      ['fs.statSync', 2, true, false, thisFile, line('first')],
      ['fs.readFileSync', 1, true, false, thisFile, line('second')],
    ]
    expect(await run('throw')).toEqual(expected)
    expect(await run('fail')).toEqual(expected)
  })

  test('from configure(), and from detectSync()', () => {
    configure({ mode: 'throw' })
    const target = join(dir, 'configured.txt')
    expect(() => detectSync(() => fs.writeFileSync(target, 'x'))).toThrow(BlockingIOError)
    expect(fs.existsSync(target)).toBe(false)
  })
})
