import { linkLoopcop } from './helpers/run.js'

/** Links `loopcop` into the fixture projects once per run of the project's own suite. */
export default function setup(): void {
  linkLoopcop()
}
