// A zlib stream's handle stepped synchronously by the code itself (pngjs's PNG.sync.read): the native
// step of every sync zlib call, wrapped on each handle class as its first stream is made.
import zlib from 'node:zlib'
import { promisify } from 'node:util'
import { describe, expect, test } from 'vitest'
import { activate, deactivate, detect } from '../../src/index.js'
import { defaultsWithoutStalls, operationsOf } from './support.js'

defaultsWithoutStalls()

interface Handle {
  writeSync(flush: number, input: Buffer, inOff: number, inLen: number, out: Buffer, outOff: number, outLen: number): void
}
const handleOf = (stream: object): Handle => (stream as { _handle: Handle })._handle
const zlibBase = (): object => {
  let proto = Object.getPrototypeOf(zlib.Inflate.prototype) as object
  while (!Object.hasOwn(proto, '_processChunk')) proto = Object.getPrototypeOf(proto) as object
  return proto
}
const deflated = zlib.deflateSync(Buffer.from('hello, handle'))

/** What pngjs's sync inflate does: the stream's handle driven to the end, synchronously. */
function inflateByHand(make: () => object = () => new zlib.Inflate()): void {
  const stream = make()
  const out = Buffer.alloc(1024)
  handleOf(stream).writeSync(zlib.constants.Z_FINISH, deflated, 0, deflated.length, out, 0, out.length)
  ;(stream as zlib.Inflate).close()
}

describe("a zlib stream's handle", () => {
  test('stepped synchronously inside a scope is a finding; Node’s own sync calls are theirs alone; streams and callbacks are none', async () => {
    activate()
    expect(operationsOf((await detect(() => inflateByHand())).findings)).toEqual(['zlib.handle.writeSync'])
    // Brotli's handle is a class of its own: wrapped when its first stream is made, here inside the scope.
    const brotli = zlib.brotliCompressSync(Buffer.from('hello, brotli'))
    const { findings: brotliFindings } = await detect(() => {
      const stream = new zlib.BrotliDecompress()
      const out = Buffer.alloc(1024)
      ;(stream as unknown as { _handle: { writeSync(...a: unknown[]): void } })._handle.writeSync(zlib.constants.BROTLI_OPERATION_FINISH, brotli, 0, brotli.length, out, 0, out.length)
      stream.close()
    })
    expect(operationsOf(brotliFindings)).toEqual(['zlib.handle.writeSync'])
    expect(operationsOf((await detect(() => zlib.inflateSync(deflated))).findings)).toEqual(['zlib.inflateSync'])
    const { value, findings } = await detect(async () => {
      const gz = await promisify(zlib.gzip)(Buffer.from('async'))
      return (await promisify(zlib.gunzip)(gz)).toString()
    })
    expect(value).toBe('async')
    expect(findings).toEqual([])
  })

  test('a stream keeps the `_handle` own property the assignment makes; deactivate() takes the watch and the wrappers away', async () => {
    activate()
    const stream = new zlib.Deflate()
    const d = Object.getOwnPropertyDescriptor(stream, '_handle')
    expect({ ...d, value: typeof d?.value }).toEqual({ value: 'object', writable: true, enumerable: true, configurable: true })
    const wrapped = Object.getPrototypeOf(handleOf(stream)) as { writeSync: Function }
    const wrapper = wrapped.writeSync
    stream.close()
    deactivate()
    expect(Object.hasOwn(zlibBase(), '_handle')).toBe(false)
    expect(wrapped.writeSync).not.toBe(wrapper)
    expect(wrapped.writeSync.name).toBe('writeSync')
    // Streams made with loopcop off are as without it; calls in a detect() after it are found again.
    const plain = new zlib.Deflate()
    expect(Object.getOwnPropertyDescriptor(plain, '_handle')?.enumerable).toBe(true)
    plain.close()
    expect(operationsOf((await detect(() => inflateByHand())).findings)).toEqual(['zlib.handle.writeSync'])
  })
})
