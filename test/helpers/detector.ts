// What the project's own tests reach of the process's detector beyond the public API and the
// integrations' (src/integration.ts): its spool, its orphan leaks, its stall machinery, its report writers.
import { detector } from '../../src/process.js'
import type { Finding } from '../../src/model/finding.js'
import { type SpoolContents, closeSpool as close, openSpool as open, readSpool as read, spoolFindings as spool } from '../../src/report/spool.js'

export { SPOOL_ENV } from '../../src/report/spool.js'

/** Leaks no live scope or integration took (the detector's own list). */
export const orphanLeaks: Finding[] = detector.orphanLeaks
/** Restores a realm's `Atomics.wait`. */
export const unpatchRealm: typeof detector.unpatchRealm = detector.unpatchRealm
/** Whether stalls get a stack here. */
export const stallStacksAvailable: typeof detector.stallStacksAvailable = detector.stallStacksAvailable

/** Whether a probe's stack shows Node's own code only (the stall monitor's test, which makes a probe look again). */
export const betweenCallbacks = (raw: object): boolean => detector.stalls.betweenCallbacks(raw)
/** Writes the JSON report, outside every scope. */
export const writeJsonReport: typeof detector.writeJsonReport = detector.writeJsonReport
/** GitHub annotations, levels from the configuration when not given. */
export const githubAnnotations: typeof detector.githubAnnotations = detector.githubAnnotations

/** Whether `warn` mode prints call site `site` (the first time this run sees it: report/warned.ts). */
export const firstWarning: typeof detector.firstWarning = detector.firstWarning
/** Starts and ends recording a run in this process (the spool, the printed call sites' folder). */
export const startRun: typeof detector.startRun = detector.startRun
export const finishRun: typeof detector.finishRun = detector.finishRun

/** The spool as the detector uses it (`RunRecording`, `recordFindings`): outside every scope, its I/O never a finding. */
export const openSpool = (): string => detector.outsideScopes(open)
export const spoolFindings = (findings: readonly Finding[]): boolean => detector.outsideScopes(() => spool(findings))
export const readSpool = (dir: string): SpoolContents => detector.outsideScopes(() => read(dir))
export const closeSpool = (dir: string): void => detector.outsideScopes(() => close(dir))
