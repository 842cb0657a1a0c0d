// The one clear error a runner older than loopcop supports gets.
import { describe, expect, test } from 'vitest'
import { unsupportedRunner } from '../../src/runner/runner-version.js'

describe('unsupportedRunner', () => {
  test('names the version read, and whose it is where it is not the runner package itself (dayjs on Jest 22)', () => {
    expect(unsupportedRunner('Vitest', '0.34.6')?.message).toMatch(/^loopcop\/vitest needs Vitest 4 or later, and this project has Vitest 0\.34\.6\. /)
    expect(unsupportedRunner('Jest', '22.4.3')?.message).toMatch(/^loopcop\/jest needs Jest 29 or later, and this project has jest-environment-node 22\.4\.3\. loopcop is tested with Jest 29 and 30/)
    expect(unsupportedRunner('Mocha', '7.2.0')?.message).toMatch(/^loopcop\/mocha needs Mocha 10 or later, and this project has Mocha 7\.2\.0\. loopcop is tested with Mocha 10, 11 and 12: upgrade Mocha/)
  })

  test('says nothing for a supported version, or one it cannot read', () => {
    expect(unsupportedRunner('Jest', '29.7.0')).toBeUndefined()
    expect(unsupportedRunner('Vitest', '5.1.2')).toBeUndefined()
    expect(unsupportedRunner('Mocha', '10.0.0')).toBeUndefined()
    expect(unsupportedRunner('Jest', undefined)).toBeUndefined()
    expect(unsupportedRunner('Jest', 'next')).toBeUndefined()
  })
})
