// What the project's own tests reach of the process's detector beyond the public API and the
// integrations' (src/integration.ts): its orphan leaks, its stall machinery, its report writers.
import { detector } from '../../src/process.js'
import type { Finding } from '../../src/model/finding.js'

export { SPOOL_ENV } from '../../src/report/spool.js'
export { closeSpool, openSpool, readSpool, spoolFindings } from '../../src/integration.js'

/** Leaks no live scope or integration took (the detector's own list). */
export const orphanLeaks: Finding[] = detector.orphanLeaks
/** Restores a realm's `Atomics.wait`. */
export const unpatchRealm: typeof detector.unpatchRealm = detector.unpatchRealm
/** Whether stalls get a stack here. */
export const stallStacksAvailable: typeof detector.stallStacksAvailable = detector.stallStacksAvailable
/** Writes the JSON report, outside every scope. */
export const writeJsonReport: typeof detector.writeJsonReport = detector.writeJsonReport
/** GitHub annotations, levels from the configuration when not given. */
export const githubAnnotations: typeof detector.githubAnnotations = detector.githubAnnotations
