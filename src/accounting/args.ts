// The argument summary of a blocking call: the path, command or size it was given, as a string.
import { fileURLToPath } from 'node:url'
import { isArrayBuffer, isDataView, isProxy, isSharedArrayBuffer, isTypedArray } from 'node:util/types'
import type { Operation } from '../model/operation.js'

// Nothing here runs the caller's code: a summary reads only what Node's own checks read without
// calling into it. A proxy is left unread (`instanceof` and `Buffer.isBuffer` would run its
// `getPrototypeOf` trap), an object among a command's arguments is not turned into a string (its
// `toString` would run once more than without loopcop), and sizes are read with the built-in getters.

/** A primitive as text (a symbol too, which `${}` would throw on); an object as a placeholder. */
function argText(value: unknown): string {
  if (typeof value === 'string') return value
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return String(value)
  return '[object]'
}

const bufferToString = Reflect.get(Buffer.prototype as object, 'toString') as (this: Buffer) => string
const viewByteLength = getter(Object.getPrototypeOf(Uint8Array.prototype) as object, 'byteLength')
const dataViewByteLength = getter(DataView.prototype, 'byteLength')
const arrayBufferByteLength = getter(ArrayBuffer.prototype, 'byteLength')
const sharedArrayBufferByteLength = typeof SharedArrayBuffer === 'function' ? getter(SharedArrayBuffer.prototype as object, 'byteLength') : undefined

/** The built-in getter `key` of `proto` (read once, at load, before any user code could replace it). */
function getter(proto: object, key: string): (this: unknown) => number {
  const get = Reflect.getOwnPropertyDescriptor(proto, key)?.get
  if (get === undefined) throw new Error(`loopcop: ${key} has no built-in getter on this Node`)
  return get as (this: unknown) => number
}

/** The byte length of a buffer-like value, read with the built-in getter (a subclass's own is user code). */
function byteLength(value: object): number | undefined {
  if (isTypedArray(value)) return Reflect.apply(viewByteLength, value, [])
  if (isDataView(value)) return Reflect.apply(dataViewByteLength, value, [])
  if (isArrayBuffer(value)) return Reflect.apply(arrayBufferByteLength, value, [])
  if (sharedArrayBufferByteLength !== undefined && isSharedArrayBuffer(value)) return Reflect.apply(sharedArrayBufferByteLength, value, [])
  return undefined
}

function pathText(value: unknown): string | undefined {
  if (typeof value === 'string') return value
  if (typeof value === 'number') return `fd ${value}`
  if (typeof value !== 'object' || value === null || isProxy(value)) return undefined
  if (value instanceof URL) {
    try {
      return fileURLToPath(value)
    } catch {
      return value.href
    }
  }
  if (Buffer.isBuffer(value)) return Reflect.apply(bufferToString, value, [])
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
      const list = args[1]
      const rest = Array.isArray(list) && !isProxy(list) ? (list as unknown[]).map(argText) : []
      return [a0, ...rest].join(' ')
    }
    case 'size':
      if (typeof a0 === 'string') return `${Buffer.byteLength(a0)} bytes`
      if (typeof a0 !== 'object' || a0 === null) return undefined
      {
        const n = byteLength(a0)
        return n === undefined ? undefined : `${n} bytes`
      }
    case 'count':
      return typeof a0 === 'number' ? `${a0} bytes` : undefined
    case 'none':
      return undefined
  }
}
