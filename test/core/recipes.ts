// One way to call every operation of the catalog, keyed by operation id. Each recipe prepares what
// its call needs (outside any scope) and returns the one blocking call to make.
import childProcess from 'node:child_process'
import crypto from 'node:crypto'
import fs from 'node:fs'
import { join } from 'node:path'
import zlib from 'node:zlib'
import { catalog } from '../../src/model/operation.js'

/** A fresh folder holding `file.txt`, `spare.txt`, `empty/` and `link` (→ file.txt). */
export class Workspace {
  readonly dir: string
  readonly file: string
  /** A file a recipe may delete or move. */
  readonly spare: string
  readonly emptyDir: string
  readonly link: string
  readonly #cleanups: (() => void)[] = []

  constructor(base: string) {
    this.dir = fs.mkdtempSync(join(base, 'ws-'))
    this.file = join(this.dir, 'file.txt')
    this.spare = join(this.dir, 'spare.txt')
    this.emptyDir = join(this.dir, 'empty')
    this.link = join(this.dir, 'link')
    fs.writeFileSync(this.file, 'hello world')
    fs.writeFileSync(this.spare, 'spare')
    fs.mkdirSync(this.emptyDir)
    fs.symlinkSync(this.file, this.link)
  }

  /** A file descriptor of `file.txt` opened for reading and writing, closed by `cleanup()`. */
  fd(): number {
    const fd = fs.openSync(this.file, 'r+')
    this.#cleanups.push(() => {
      try {
        fs.closeSync(fd)
      } catch {
        // closed by the recipe itself
      }
    })
    return fd
  }

  /** Runs later, outside every scope. */
  defer(fn: () => void): void {
    this.#cleanups.push(fn)
  }

  cleanup(): void {
    for (const fn of this.#cleanups.splice(0)) fn()
  }
}

/** Prepares a call (outside any scope) and returns the blocking call. */
export type Recipe = (ws: Workspace) => () => unknown

const uid = process.getuid?.() ?? 0
const gid = process.getgid?.() ?? 0
const now = new Date()
const input = Buffer.from('loopcop '.repeat(64))
const { privateKey, publicKey } = crypto.generateKeyPairSync('ed25519')
const signature = crypto.sign(null, input, privateKey)
const node = process.execPath
const zstd = zlib as unknown as Record<string, ((b: Buffer) => Buffer) | undefined>

function openDir(ws: Workspace): fs.Dir {
  const dir = fs.opendirSync(ws.dir)
  ws.defer(() => {
    try {
      dir.closeSync()
    } catch {
      // closed by the recipe itself
    }
  })
  return dir
}

const fsCalls = fs as unknown as Record<string, (...args: unknown[]) => unknown>
const cryptoCalls = crypto as unknown as Record<string, ((...args: unknown[]) => unknown) | undefined>

/** Every catalog id → its recipe. A catalog entry without a recipe fails the catalog test. */
export const recipes: Readonly<Record<string, Recipe>> = {
  'fs.accessSync': (ws) => () => fs.accessSync(ws.file),
  'fs.appendFileSync': (ws) => () => fs.appendFileSync(join(ws.dir, 'appended.txt'), 'x'),
  'fs.chmodSync': (ws) => () => fs.chmodSync(ws.file, 0o644),
  'fs.chownSync': (ws) => () => fs.chownSync(ws.file, uid, gid),
  'fs.copyFileSync': (ws) => () => fs.copyFileSync(ws.file, join(ws.dir, 'copy.txt')),
  'fs.cpSync': (ws) => () => fs.cpSync(ws.file, join(ws.dir, 'cp.txt')),
  'fs.existsSync': (ws) => () => fs.existsSync(ws.file),
  // Only where the platform has it (macOS); the catalog test checks it is absent elsewhere.
  'fs.lchmodSync': (ws) => () => fsCalls.lchmodSync?.(ws.link, 0o644),
  'fs.lchownSync': (ws) => () => fs.lchownSync(ws.link, uid, gid),
  'fs.linkSync': (ws) => () => fs.linkSync(ws.file, join(ws.dir, 'hard.txt')),
  'fs.lstatSync': (ws) => () => fs.lstatSync(ws.link),
  'fs.lutimesSync': (ws) => () => fs.lutimesSync(ws.link, now, now),
  'fs.mkdirSync': (ws) => () => fs.mkdirSync(join(ws.dir, 'made')),
  'fs.mkdtempSync': (ws) => () => fs.mkdtempSync(join(ws.dir, 'tmp-')),
  'fs.openSync': (ws) => () => {
    const fd = fs.openSync(ws.file, 'r')
    ws.defer(() => fs.closeSync(fd))
    return fd
  },
  'fs.opendirSync': (ws) => () => {
    const dir = fs.opendirSync(ws.dir)
    ws.defer(() => dir.closeSync())
    return dir
  },
  'fs.readdirSync': (ws) => () => fs.readdirSync(ws.dir),
  'fs.readFileSync': (ws) => () => fs.readFileSync(ws.file),
  'fs.readlinkSync': (ws) => () => fs.readlinkSync(ws.link),
  'fs.realpathSync': (ws) => () => fs.realpathSync(ws.link),
  'fs.renameSync': (ws) => () => fs.renameSync(ws.spare, join(ws.dir, 'renamed.txt')),
  'fs.rmSync': (ws) => () => fs.rmSync(ws.spare),
  'fs.rmdirSync': (ws) => () => fs.rmdirSync(ws.emptyDir),
  'fs.statSync': (ws) => () => fs.statSync(ws.file),
  'fs.statfsSync': (ws) => () => fs.statfsSync(ws.dir),
  'fs.symlinkSync': (ws) => () => fs.symlinkSync(ws.file, join(ws.dir, 'link2')),
  'fs.truncateSync': (ws) => () => fs.truncateSync(ws.spare, 1),
  'fs.unlinkSync': (ws) => () => fs.unlinkSync(ws.spare),
  'fs.utimesSync': (ws) => () => fs.utimesSync(ws.file, now, now),
  'fs.writeFileSync': (ws) => () => fs.writeFileSync(join(ws.dir, 'written.txt'), 'x'),
  // Node ≥ 22 only; the catalog test checks it is absent on older versions.
  'fs.globSync': (ws) => () => fsCalls.globSync?.('*.txt', { cwd: ws.dir }),
  // Node ≥ 24.4 and ≥ 26.10 only; the disposable folder is made in the workspace and removed with it.
  'fs.mkdtempDisposableSync': (ws) => () => fsCalls.mkdtempDisposableSync?.(join(ws.dir, 'disposable-')),
  'fs.openAsBlobSync': (ws) => () => fsCalls.openAsBlobSync?.(ws.file),

  'fs.closeSync': (ws) => {
    const fd = fs.openSync(ws.file, 'r')
    return () => fs.closeSync(fd)
  },
  'fs.fchmodSync': (ws) => {
    const fd = ws.fd()
    return () => fs.fchmodSync(fd, 0o644)
  },
  'fs.fchownSync': (ws) => {
    const fd = ws.fd()
    return () => fs.fchownSync(fd, uid, gid)
  },
  'fs.fdatasyncSync': (ws) => {
    const fd = ws.fd()
    return () => fs.fdatasyncSync(fd)
  },
  'fs.fstatSync': (ws) => {
    const fd = ws.fd()
    return () => fs.fstatSync(fd)
  },
  'fs.fsyncSync': (ws) => {
    const fd = ws.fd()
    return () => fs.fsyncSync(fd)
  },
  'fs.ftruncateSync': (ws) => {
    const fd = ws.fd()
    return () => fs.ftruncateSync(fd, 5)
  },
  'fs.futimesSync': (ws) => {
    const fd = ws.fd()
    return () => fs.futimesSync(fd, now, now)
  },
  'fs.readSync': (ws) => {
    const fd = ws.fd()
    return () => fs.readSync(fd, Buffer.alloc(5))
  },
  'fs.readvSync': (ws) => {
    const fd = ws.fd()
    return () => fs.readvSync(fd, [Buffer.alloc(5)])
  },
  'fs.writeSync': (ws) => {
    const fd = ws.fd()
    return () => fs.writeSync(fd, 'HELLO')
  },
  'fs.writevSync': (ws) => {
    const fd = ws.fd()
    return () => fs.writevSync(fd, [Buffer.from('HELLO')])
  },

  'fs.realpathSync.native': (ws) => () => fs.realpathSync.native(ws.link),
  'fs.Dir#readSync': (ws) => {
    const dir = openDir(ws)
    return () => dir.readSync()
  },
  'fs.Dir#closeSync': (ws) => {
    const dir = fs.opendirSync(ws.dir)
    return () => dir.closeSync()
  },

  'child_process.execSync': () => () => childProcess.execSync(`"${node}" -e 0`),
  'child_process.execFileSync': () => () => childProcess.execFileSync(node, ['-e', '0']),
  'child_process.spawnSync': () => () => childProcess.spawnSync(node, ['-e', '0']),

  'zlib.deflateSync': () => () => zlib.deflateSync(input),
  'zlib.deflateRawSync': () => () => zlib.deflateRawSync(input),
  'zlib.gzipSync': () => () => zlib.gzipSync(input),
  'zlib.gunzipSync': () => {
    const gz = zlib.gzipSync(input)
    return () => zlib.gunzipSync(gz)
  },
  'zlib.inflateSync': () => {
    const deflated = zlib.deflateSync(input)
    return () => zlib.inflateSync(deflated)
  },
  // Node's sync path, reached on a stream object of one's own.
  'zlib.processChunkSync': () => {
    const deflated = zlib.deflateSync(input)
    return () => (new zlib.Inflate() as unknown as { _processChunk(chunk: Buffer, flush: number): Buffer })._processChunk(deflated, zlib.constants.Z_FINISH)
  },
  'zlib.inflateRawSync': () => {
    const raw = zlib.deflateRawSync(input)
    return () => zlib.inflateRawSync(raw)
  },
  'zlib.unzipSync': () => {
    const gz = zlib.gzipSync(input)
    return () => zlib.unzipSync(gz)
  },
  'zlib.brotliCompressSync': () => () => zlib.brotliCompressSync(input),
  'zlib.brotliDecompressSync': () => {
    const br = zlib.brotliCompressSync(input)
    return () => zlib.brotliDecompressSync(br)
  },
  // Node ≥ 22.15 only; the catalog test checks they are absent on older versions.
  'zlib.zstdCompressSync': () => () => zstd.zstdCompressSync?.(input),
  'zlib.zstdDecompressSync': () => {
    const compressed = zstd.zstdCompressSync?.(input)
    return () => (compressed === undefined ? undefined : zstd.zstdDecompressSync?.(compressed))
  },

  'crypto.checkPrimeSync': () => () => crypto.checkPrimeSync(7919n),
  'crypto.generateKeyPairSync': () => () => crypto.generateKeyPairSync('ed25519'),
  'crypto.generateKeySync': () => () => crypto.generateKeySync('hmac', { length: 64 }),
  'crypto.generatePrimeSync': () => () => crypto.generatePrimeSync(16),
  'crypto.hkdfSync': () => () => crypto.hkdfSync('sha256', 'key', 'salt', 'info', 16),
  'crypto.pbkdf2Sync': () => () => crypto.pbkdf2Sync('secret', 'salt', 1, 16, 'sha256'),
  'crypto.randomFillSync': () => () => crypto.randomFillSync(Buffer.alloc(8)),
  'crypto.scryptSync': () => () => crypto.scryptSync('secret', 'salt', 16, { N: 16 }),
  // Node ≥ 24.7 only; the least work Argon2 takes (8 KiB, one pass).
  'crypto.argon2Sync': () => () => cryptoCalls.argon2Sync?.('argon2id', { message: 'secret', nonce: Buffer.alloc(16, 1), parallelism: 1, tagLength: 16, memory: 8, passes: 1 }),
  'crypto.randomBytes': () => () => crypto.randomBytes(8),
  'crypto.randomInt': () => () => crypto.randomInt(10),
  'crypto.sign': () => () => crypto.sign(null, input, privateKey),
  'crypto.verify': () => () => crypto.verify(null, input, publicKey, signature),

  'Atomics.wait': () => {
    const cell = new Int32Array(new SharedArrayBuffer(4))
    return () => Atomics.wait(cell, 0, 0, 1)
  },
}

/** The object and property a catalog entry lives at, as `install()` finds them. */
export function siteTarget(site: (typeof catalog)[number]): Record<PropertyKey, unknown> {
  switch (site.module) {
    case 'fs':
      return fs as unknown as Record<PropertyKey, unknown>
    case 'fs.realpathSync':
      return fs.realpathSync as unknown as Record<PropertyKey, unknown>
    case 'fs.Dir':
      return fs.Dir.prototype as unknown as Record<PropertyKey, unknown>
    case 'child_process':
      return childProcess as unknown as Record<PropertyKey, unknown>
    case 'zlib':
      return zlib as unknown as Record<PropertyKey, unknown>
    case 'zlib.ZlibBase': {
      let proto = Object.getPrototypeOf(zlib.Inflate.prototype) as object
      while (!Object.hasOwn(proto, '_processChunk')) proto = Object.getPrototypeOf(proto) as object
      return proto as Record<PropertyKey, unknown>
    }
    case 'crypto':
      return crypto as unknown as Record<PropertyKey, unknown>
    case 'Atomics':
      return Atomics as unknown as Record<PropertyKey, unknown>
  }
}

/** Whether this Node (and platform) has the function of a catalog entry. */
export function isPresent(site: (typeof catalog)[number]): boolean {
  return typeof siteTarget(site)[site.key] === 'function'
}
