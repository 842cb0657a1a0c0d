// An fs error thrown through loopcop's wrapper reads as it does without loopcop under Vitest.
import { afterAll, expect, test } from 'vitest'
import { cleanRuns, names, runFixture } from './support.js'

afterAll(cleanRuns)

test.each(['forks', 'threads'] as const)('an error a wrapped call throws shows none of loopcop’s frames (%s)', async (pool) => {
  const run = await runFixture(['test/thrown.test.ts'], { pool })
  expect(names(run, 'failed')).toEqual([])
  expect(names(run, 'passed')).toEqual(['[clean] an ENOENT from fs.readFileSync has no frame of loopcop, and the test’s line first after Node’s'])
}, 240_000)
