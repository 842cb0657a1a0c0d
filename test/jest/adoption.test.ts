// Allow rules (caller vs within), the tests' own code (testCode) and messages that lead to the fix,
// as the real Jest reports them (the specification is shared: test/helpers/adoption.ts).
import { describe, expect, test } from 'vitest'
import { adoptionSpecification } from '../helpers/adoption.js'

adoptionSpecification('jest', { describe, test, expect })
