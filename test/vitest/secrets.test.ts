// Credentials in blocking calls' arguments never reach messages, the JSON report or annotations.
import { afterAll, expect, test } from 'vitest'
import { cleanRuns, outcome, runFixture } from './support.js'

afterAll(cleanRuns)

const secrets = ['sk-live-123456789', 'hunter2', 'swordfish', 'ghp_abcdefghijklmnopqrstuvwxyz0123456789', 's3cr3t-pw', 'internal-secret-42']

test('redacted by default in failure messages, the JSON report and GitHub annotations; summaries clipped', async () => {
  const run = await runFixture(['test/secrets.test.ts'], { report: true, env: { GITHUB_ACTIONS: 'true', FIXTURE_CONFIGURE: JSON.stringify({ redact: ['internal-secret-42'] }) } })
  // What loopcop wrote: the failures, the JSON report, the annotations, its summary (the terminal
  // also shows Vitest's code frames of the test file, whose source holds the secrets, of course).
  const annotations = run.result.output.split('\n').filter((l) => l.startsWith('::') || l.startsWith('loopcop'))
  expect(annotations.some((l) => l.startsWith('::error'))).toBe(true)
  const everything = [...run.tests.map((t) => t.failure), JSON.stringify(run.report), ...annotations].join('\n')
  for (const secret of secrets) expect(everything, secret).not.toContain(secret)
  expect(outcome(run, '[blocks] a bearer token in a command').failure).toContain('Bearer [redacted]')
  const failure = outcome(run, '[blocks] a password flag and a token argument').failure
  expect(failure).toContain('--password=[redacted]')
  expect(failure).toContain('DB_PASSWORD=[redacted]')
  expect(failure).toContain('ghp_[redacted]')
  expect(failure).toContain('https://deploy:[redacted]@example.invalid')
  expect(outcome(run, '[blocks] a literal secret the project configures').failure).toContain('-- [redacted]")')
  // A million-character path: the summary is clipped, and so is the message.
  const huge = outcome(run, '[blocks] a huge path').failure
  expect(huge).toMatch(/fs\.existsSync\("\/tmp\/x+…x+"\)/)
  expect(huge.length).toBeLessThan(3000)
  for (const f of run.report?.findings ?? []) expect((f.args ?? '').length).toBeLessThanOrEqual(160)
  // A hostile toString is the user's argument, not a loopcop bug; loopcop does not call it (an object
  // among a command's arguments is summarized as a placeholder).
  const hostile = outcome(run, '[blocks] an argument whose toString throws').failure
  expect(hostile).toContain('[object]')
  expect(everything).not.toContain('LoopcopInternalError')
  expect(everything).not.toContain('bug in loopcop')
  // Vitest prints an error's enumerable properties ("Serialized Error"): the findings are not one.
  expect(run.result.output).not.toContain('Serialized Error: { findings')
}, 240_000)

test('redact: false records no arguments at all', async () => {
  const run = await runFixture(['test/secrets.test.ts'], { report: true, env: { FIXTURE_CONFIGURE: JSON.stringify({ redact: false }) } })
  expect(run.report?.findings.length).toBeGreaterThan(0)
  for (const f of run.report?.findings ?? []) expect(f.args).toBeUndefined()
  expect(outcome(run, '[blocks] a bearer token in a command').failure).toMatch(/child_process\.execSync blocked [\d.]+ ms/)
}, 240_000)
