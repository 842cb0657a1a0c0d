import { describe, expect, test } from 'vitest'
import { MAX_SUMMARY, redactSummary } from '../../src/accounting/redact.js'

describe('redactSummary', () => {
  test.each([
    ['curl -H "Authorization: Bearer sk-live-123"', 'curl -H "Authorization: Bearer [redacted]"'],
    ['curl -u x -H "Authorization: Basic dXNlcjpwYXNz"', 'curl -u x -H "Authorization: Basic [redacted]"'],
    ['tool --password=hunter2 --verbose', 'tool --password=[redacted] --verbose'],
    ['tool --api-key hunter2', 'tool --api-key [redacted]'],
    ['env DB_PASSWORD=swordfish GITHUB_TOKEN=abc node x.js', 'env DB_PASSWORD=[redacted] GITHUB_TOKEN=[redacted] node x.js'],
    ['git clone https://deploy:s3cr3t@example.invalid/r.git', 'git clone https://deploy:[redacted]@example.invalid/r.git'],
    ['gh auth ghp_abcdefghijklmnopqrstuvwxyz0123', 'gh auth ghp_[redacted]'],
    ['npm_abcdefghijklmnopqrstuvwxyz0123456789', 'npm_[redacted]'],
    ['aws AKIAABCDEFGHIJKLMNOP', 'aws AKIA[redacted]'],
    ['x eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl y', 'x [redacted] y'],
    ['/home/user/project/config.json', '/home/user/project/config.json'],
    ['git -C ../other status', 'git -C ../other status'],
  ])('%s', (input, expected) => {
    expect(redactSummary(input)).toBe(expected)
  })

  test('extra patterns from the configuration, and `false` for no arguments at all', () => {
    expect(redactSummary('deploy --target prod-7f3a', [/prod-[0-9a-f]{4}/])).toBe('deploy --target [redacted]')
    expect(redactSummary('deploy --target prod-7f3a', false)).toBeUndefined()
  })

  test('every built-in pattern is tried whenever one could match (the quick check before them lets no secret through)', () => {
    // Each case holds a secret in the upper case, which the patterns match regardless of case where they ignore it.
    expect(redactSummary('curl -H "authorization: BEARER SK-LIVE-123"')).toBe('curl -H "authorization: BEARER [redacted]"')
    expect(redactSummary('tool --PASSWORD=hunter2')).toBe('tool --PASSWORD=[redacted]')
    expect(redactSummary('git clone HTTPS://deploy:s3cr3t@example.invalid/r.git')).toBe('git clone HTTPS://deploy:[redacted]@example.invalid/r.git')
    expect(redactSummary('x -----BEGIN RSA PRIVATE KEY-----abc-----END RSA PRIVATE KEY----- y')).toBe('x [redacted] y')
    expect(redactSummary('deploy sk_live_abcdef')).toBe('deploy sk_live_[redacted]')
    expect(redactSummary('/home/user/project/config.json')).toBe('/home/user/project/config.json')
  })

  test('a summary redacted once per set of patterns: another configuration gets its own redaction', () => {
    const first = [/prod-[0-9a-f]{4}/]
    expect(redactSummary('deploy --target prod-7f3a', first)).toBe('deploy --target [redacted]')
    expect(redactSummary('deploy --target prod-7f3a', first)).toBe('deploy --target [redacted]')
    expect(redactSummary('deploy --target prod-7f3a', [/deploy/])).toBe('[redacted] --target prod-7f3a')
    expect(redactSummary('deploy --target prod-7f3a')).toBe('deploy --target prod-7f3a')
    expect(redactSummary('deploy --target prod-7f3a', [])).toBe('deploy --target prod-7f3a')
  })

  test('a multi-line command reads as one line: each line break and the blanks around it are one space (after the patterns)', () => {
    const script = "node -e \n      const xhr = require('./xhr')\r\n\t  xhr.send()\n"
    expect(redactSummary(script)).toBe("node -e const xhr = require('./xhr') xhr.send() ")
    // Blanks within a line are the command's own.
    expect(redactSummary('cp  "a  b" c')).toBe('cp  "a  b" c')
    const key = 'sign -----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----'
    expect(redactSummary(key)).not.toContain('MIIE')
  })

  test('clipped in the middle: the start and the end of a long path stay', () => {
    const long = `/start/${'x'.repeat(10_000_000)}/end.json`
    const shown = redactSummary(long)!
    expect(shown.length).toBe(MAX_SUMMARY)
    expect(shown.startsWith('/start/')).toBe(true)
    expect(shown.endsWith('/end.json')).toBe(true)
  })
})
