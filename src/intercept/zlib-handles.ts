// The native step of every synchronous zlib call (docs/architecture.md, "intercept"): a zlib
// stream's handle's `writeSync`. Node's own `zlib.*Sync` reach it through wrapped functions, but a
// library can drive a stream's handle itself (pngjs's `PNG.sync.read` inflates that way). The handle
// classes (`Zlib`, `BrotliEncoder`, `BrotliDecoder`, the zstd ones) are not exported: their
// prototypes are met when a stream is made, which the watch below sees without making one.

/**
 * Watches the `_handle` every zlib stream sets on itself in its constructor (ZlibBase's
 * `this._handle = handle`), through a setter on the prototype they all inherit from: the setter
 * gives the stream the own data property the assignment would have made, then hands the handle's
 * prototype to `onHandle`. Nothing is made or loaded for it. Returns the function that takes the
 * watch away (streams made since keep their own property). Does nothing where `base` has a
 * `_handle` of its own already (a Node that no longer assigns it so).
 */
export function watchZlibHandles(base: object, onHandle: (handleProto: object) => void): () => void {
  if (Object.hasOwn(base, '_handle')) return () => {}
  const set = function (this: object, handle: unknown): void {
    Object.defineProperty(this, '_handle', { value: handle, writable: true, enumerable: true, configurable: true })
    const proto: unknown = typeof handle === 'object' && handle !== null ? Object.getPrototypeOf(handle) : undefined
    if (typeof proto === 'object' && proto !== null) onHandle(proto)
  }
  Object.defineProperty(base, '_handle', { set, configurable: true, enumerable: false })
  return () => {
    if (Object.getOwnPropertyDescriptor(base, '_handle')?.set === set) Reflect.deleteProperty(base, '_handle')
  }
}
