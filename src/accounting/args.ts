// The argument summary of a blocking call: the path, command or size it was given, as a string.
import { fileURLToPath } from 'node:url'
import type { Operation } from '../model/operation.js'

/** `String(value)`, or a placeholder when the value's own `toString` throws (user code, not ours to fail). */
function safeString(value: unknown): string {
  try {
    return String(value)
  } catch {
    return '[unprintable]'
  }
}

function pathText(value: unknown): string | undefined {
  if (typeof value === 'string') return value
  if (typeof value === 'number') return `fd ${value}`
  if (value instanceof URL) {
    try {
      return fileURLToPath(value)
    } catch {
      return value.href
    }
  }
  if (Buffer.isBuffer(value)) return value.toString()
  return undefined
}

/**
 * The path, command or size a call was given, as a string (nothing is kept of the arguments
 * themselves). Raw: allow rules match it as given; findings keep it redacted and clipped
 * (`redactSummary`). It never throws: it is worked out before the call when rules need it, and an
 * argument it cannot read (a revoked proxy, a getter that throws) is the caller's to pass — the
 * call then runs as it would without loopcop, judged with no summary.
 */
export function summarizeArgs(op: Operation, args: readonly unknown[]): string | undefined {
  try {
    return summary(op, args)
  } catch {
    return undefined
  }
}

function summary(op: Operation, args: readonly unknown[]): string | undefined {
  const a0 = args[0]
  switch (op.arg) {
    case 'path':
      return pathText(a0)
    case 'fd':
      return typeof a0 === 'number' ? `fd ${a0}` : undefined
    case 'command': {
      if (typeof a0 !== 'string') return undefined
      const rest = Array.isArray(args[1]) ? (args[1] as unknown[]).map(safeString) : []
      return [a0, ...rest].join(' ')
    }
    case 'size':
      if (typeof a0 === 'string') return `${Buffer.byteLength(a0)} bytes`
      if (ArrayBuffer.isView(a0) || a0 instanceof ArrayBuffer) return `${a0.byteLength} bytes`
      return undefined
    case 'none':
      return undefined
  }
}
