// What of a blocking call's arguments may appear in messages, JSON reports and CI annotations
// (public on GitHub): credentials are replaced by `[redacted]`, every summary is clipped, and
// `redact: false` keeps no argument at all.

/** What stands in for a secret. */
export const REDACTED = '[redacted]'

/** The longest argument summary kept, in characters (a 10 MB path is a message nobody reads). */
export const MAX_SUMMARY = 160

/** Words that make a flag, a variable or a header name a secret. */
const SECRET_NAME = String.raw`[\w-]*(?:pass(?:word|wd|phrase)?|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key|auth|credentials?|session|cookie|signature)[\w-]*`

/**
 * The built-in patterns. Each keeps what says *what* was there (the flag, the header, the
 * variable name, the user name of a URL, a token's prefix) and replaces the secret itself.
 */
export const BUILTIN_REDACTIONS: readonly { readonly name: string; readonly pattern: RegExp; readonly replace: string }[] = [
  // Authorization: Bearer sk-live-123 / Basic dXNlcjpwYXNz / Token abc
  { name: 'authorization scheme', pattern: /\b(Bearer|Basic|Token|Digest)\s+[A-Za-z0-9._~+/=-]{4,}/gi, replace: `$1 ${REDACTED}` },
  // --password=hunter2, --api-key hunter2, -p=hunter2 is left alone (too short to tell)
  { name: 'secret flag', pattern: new RegExp(String.raw`(--?${SECRET_NAME})(=|\s+)("[^"]*"|'[^']*'|[^\s"']+)`, 'gi'), replace: `$1$2${REDACTED}` },
  // DB_PASSWORD=hunter2, GITHUB_TOKEN='x', "apiKey": "x", token: x (headers, env assignments)
  // (an `Authorization: Bearer …` header keeps its scheme: the rule above redacted its credential)
  { name: 'secret assignment', pattern: new RegExp(String.raw`\b(${SECRET_NAME})("?\s*[:=]\s*)(?!(?:Bearer|Basic|Token|Digest)\s|\[redacted\])("[^"]*"|'[^']*'|[^\s"',;&]+)`, 'gi'), replace: `$1$2${REDACTED}` },
  // https://user:password@host
  { name: 'URL credentials', pattern: /\b([a-z][a-z0-9+.-]*:\/\/[^\s:/@]+):[^\s@/]+@/gi, replace: `$1:${REDACTED}@` },
  // Well-known token shapes, wherever they appear.
  { name: 'GitHub token', pattern: /\b(gh[pousr]_|github_pat_)[A-Za-z0-9_]{16,}/g, replace: `$1${REDACTED}` },
  { name: 'npm token', pattern: /\b(npm_)[A-Za-z0-9]{20,}/g, replace: `$1${REDACTED}` },
  { name: 'Slack token', pattern: /\b(xox[abposr]-)[A-Za-z0-9-]{8,}/g, replace: `$1${REDACTED}` },
  { name: 'AWS access key', pattern: /\b(AKIA|ASIA)[0-9A-Z]{16}\b/g, replace: `$1${REDACTED}` },
  { name: 'Google API key', pattern: /\b(AIza)[0-9A-Za-z_-]{30,}/g, replace: `$1${REDACTED}` },
  { name: 'secret key', pattern: /\b((?:sk|rk|pk)[-_](?:live|test|proj)?[-_]?)[A-Za-z0-9_-]{3,}/g, replace: `$1${REDACTED}` },
  { name: 'JSON web token', pattern: /\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g, replace: REDACTED },
  { name: 'private key', pattern: /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z ]*PRIVATE KEY-----|$)/g, replace: REDACTED },
]

/** How argument summaries are shown: `false` keeps none; otherwise extra patterns on top of the built-in ones. */
export type Redaction = false | readonly RegExp[]

const NO_PATTERNS: readonly RegExp[] = []
/** Redacted summaries by the extra patterns they were redacted with, then by summary. */
const redacted = new WeakMap<readonly RegExp[], Map<string, string>>()

/**
 * An argument summary fit for a report: credentials replaced, clipped in the middle to
 * `MAX_SUMMARY` characters (the start says what was run, the end which file). `undefined` when
 * `redaction` is `false` or there is nothing to show.
 */
export function redactSummary(summary: string | undefined, redaction: Redaction = NO_PATTERNS): string | undefined {
  if (summary === undefined || redaction === false) return undefined
  if (summary.length > MAX_SUMMARY * 4) return redact(summary, redaction)
  // A memo of a pure function, bounded: a call site makes one finding per test with the same
  // argument, and the patterns cost ~10 µs a summary.
  let memo = redacted.get(redaction)
  if (memo === undefined) redacted.set(redaction, (memo = new Map<string, string>()))
  let text = memo.get(summary)
  if (text === undefined) {
    text = redact(summary, redaction)
    if (memo.size > 1_000) memo.clear()
    memo.set(summary, text)
  }
  return text
}

/**
 * Something every built-in pattern needs to find (a word of `SECRET_NAME`, a scheme, `://`, a
 * token's prefix): a summary without any of it (most paths and commands) skips the patterns, which
 * V8 compiles at their first use (~10 ms of each process's first finding with an argument).
 */
const MAYBE_SECRET = /bearer|basic|token|digest|pass|pwd|secret|api|access|private|auth|credential|session|cookie|signature|:\/\/|gh[pousr]_|github_pat_|npm_|xox|akia|asia|aiza|[spr]k[-_]|eyj|-----begin/i

/** A line break with the blanks around it: a multi-line command reads as one line. */
const LINE_BREAK = /[ \t]*[\r\n]+[ \t]*/g

function redact(summary: string, redaction: readonly RegExp[]): string {
  // Clipped first (bounded work for the patterns), then clipped again if a pattern lengthened it.
  let text = clip(summary, MAX_SUMMARY * 4)
  if (MAYBE_SECRET.test(text)) for (const { pattern, replace } of BUILTIN_REDACTIONS) text = text.replace(pattern, replace)
  for (const pattern of redaction) text = text.replace(globalCopy(pattern), REDACTED)
  // After the patterns (a private key's block spans lines): a script given inline
  // (`execFileSync('node', ['-e', script])`, happy-dom's synchronous XHR) was shown with its line
  // breaks escaped and its indentation, most of the summary's room in blanks.
  return clip(text.replace(LINE_BREAK, ' '), MAX_SUMMARY)
}

/** `text` with its middle replaced by `…` when longer than `max`. */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text
  const head = Math.ceil((max - 1) * 0.6)
  return `${text.slice(0, head)}…${text.slice(text.length - (max - 1 - head))}`
}

const globals = new WeakMap<RegExp, RegExp>()

/** A user pattern as a global one (so every match is replaced), made once per pattern. */
function globalCopy(pattern: RegExp): RegExp {
  if (pattern.global) return pattern
  let copy = globals.get(pattern)
  if (copy === undefined) globals.set(pattern, (copy = new RegExp(pattern.source, `${pattern.flags}g`)))
  return copy
}
