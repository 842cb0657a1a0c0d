import { describe, expect, test } from 'vitest'
import { givenFlags, nodeFlags } from '../../src/runtime/node-flags.js'

describe('the flags Node was given', () => {
  test('the command line first, then NODE_OPTIONS split on whitespace, no empty flags', () => {
    expect(nodeFlags(['--test', '--import', 'x'], '  --enable-source-maps   --loader y ')).toEqual(['--test', '--import', 'x', '--enable-source-maps', '--loader', 'y'])
    expect(nodeFlags([], '')).toEqual([])
  })

  test('a flag and its value, in both forms, in their order; other flags, and a flag with no value, left out', () => {
    const flags = ['--import=loopcop/node-test', '--test-reporter=spec', '--loader', 'ts-node/esm', '--import=data:text/javascript,a=b', '--experimental-loader']
    expect(givenFlags(flags, ['--import', '--loader', '--experimental-loader'])).toEqual([
      { name: '--import', value: 'loopcop/node-test' },
      { name: '--loader', value: 'ts-node/esm' },
      { name: '--import', value: 'data:text/javascript,a=b' },
    ])
  })
})
