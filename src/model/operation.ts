// The catalog of blocking operations (docs/architecture.md, "operations"): what loopcop wraps, and
// the async alternative each message suggests.

/** What kind of blocking an operation is. */
export type Category = 'fs' | 'child_process' | 'zlib' | 'crypto' | 'atomics' | 'module' | 'user'

/**
 * How to summarise an operation's arguments in a message (never kept beyond a string): `size` is the
 * byte length of the buffer or string given, `count` a number of bytes given as a number
 * (`crypto.randomBytes(32)`).
 */
export type ArgKind = 'path' | 'fd' | 'command' | 'size' | 'count' | 'none'

/** One entry of the catalog of blocking operations. */
export interface Operation {
  /** Stable id, e.g. `fs.readFileSync`, used in messages, reports and allow rules. */
  readonly id: string
  readonly category: Category
  /** The async alternative, e.g. `use fs.promises.readFile`. */
  readonly hint: string
  /** How the first argument is summarised. */
  readonly arg: ArgKind
  /** The call blocks only when its last argument is not a callback (`crypto.randomBytes`). */
  readonly blocksWithoutCallback?: boolean
}

/** A place in the catalog: which object and property the operation lives at. */
export interface OperationSite {
  readonly operation: Operation
  /**
   * Builtin module id (`fs`), `fs.Dir` (fs.Dir.prototype), `zlib.ZlibBase` (the prototype every zlib
   * stream class inherits `_processChunk` from), or `Atomics` (per realm).
   */
  readonly module: 'fs' | 'fs.Dir' | 'fs.realpathSync' | 'child_process' | 'zlib' | 'zlib.ZlibBase' | 'crypto' | 'Atomics'
  readonly key: string
}

const fsPath: readonly string[] = [
  'accessSync', 'appendFileSync', 'chmodSync', 'chownSync', 'copyFileSync', 'cpSync', 'existsSync', 'lchmodSync',
  'lchownSync', 'linkSync', 'lstatSync', 'lutimesSync', 'mkdirSync', 'mkdtempSync', 'openSync', 'opendirSync',
  'readdirSync', 'readFileSync', 'readlinkSync', 'realpathSync', 'renameSync', 'rmSync', 'rmdirSync', 'statSync',
  'statfsSync', 'symlinkSync', 'truncateSync', 'unlinkSync', 'utimesSync', 'writeFileSync', 'globSync',
  'mkdtempDisposableSync', 'openAsBlobSync',
]
const fsFd: readonly string[] = [
  'closeSync', 'fchmodSync', 'fchownSync', 'fdatasyncSync', 'fstatSync', 'fsyncSync', 'ftruncateSync', 'futimesSync',
  'readSync', 'readvSync', 'writeSync', 'writevSync',
]

/** The async alternative for each `fs.*Sync` whose promise twin is not simply the name without `Sync`. */
const fsHints: Readonly<Record<string, string>> = {
  existsSync: 'use fs.promises.access (or fs.promises.stat) and handle ENOENT',
  openSync: 'use fs.promises.open', opendirSync: 'use fs.promises.opendir',
  closeSync: 'use filehandle.close()', readSync: 'use filehandle.read()', readvSync: 'use filehandle.readv()',
  writeSync: 'use filehandle.write()', writevSync: 'use filehandle.writev()', fstatSync: 'use filehandle.stat()',
  fchmodSync: 'use filehandle.chmod()', fchownSync: 'use filehandle.chown()', fsyncSync: 'use filehandle.sync()',
  fdatasyncSync: 'use filehandle.datasync()', ftruncateSync: 'use filehandle.truncate()', futimesSync: 'use filehandle.utimes()',
  statfsSync: 'use fs.promises.statfs', globSync: 'use fs.promises.glob',
  mkdtempDisposableSync: 'use fs.promises.mkdtempDisposable (with `await using`)', openAsBlobSync: 'use fs.openAsBlob',
}

const zlibHints: Readonly<Record<string, string>> = {
  deflateSync: 'deflate', deflateRawSync: 'deflateRaw', gzipSync: 'gzip', gunzipSync: 'gunzip', inflateSync: 'inflate',
  inflateRawSync: 'inflateRaw', unzipSync: 'unzip', brotliCompressSync: 'brotliCompress', brotliDecompressSync: 'brotliDecompress',
  zstdCompressSync: 'zstdCompress', zstdDecompressSync: 'zstdDecompress',
}

const cryptoSync: Readonly<Record<string, string>> = {
  checkPrimeSync: 'checkPrime', generateKeyPairSync: 'generateKeyPair', generateKeySync: 'generateKey',
  generatePrimeSync: 'generatePrime', hkdfSync: 'hkdf', pbkdf2Sync: 'pbkdf2', randomFillSync: 'randomFill', scryptSync: 'scrypt',
  argon2Sync: 'argon2',
}

function op(id: string, category: Category, hint: string, arg: ArgKind, blocksWithoutCallback?: boolean): Operation {
  return Object.freeze(blocksWithoutCallback ? { id, category, hint, arg, blocksWithoutCallback } : { id, category, hint, arg })
}

function buildCatalog(): readonly OperationSite[] {
  const sites: OperationSite[] = []
  const add = (module: OperationSite['module'], key: string, operation: Operation) => sites.push(Object.freeze({ module, key, operation }))
  for (const key of [...fsPath, ...fsFd]) {
    const base = key.slice(0, -'Sync'.length)
    add('fs', key, op(`fs.${key}`, 'fs', fsHints[key] ?? `use fs.promises.${base}`, fsPath.includes(key) ? 'path' : 'fd'))
  }
  add('fs.realpathSync', 'native', op('fs.realpathSync.native', 'fs', 'use fs.promises.realpath', 'path'))
  add('fs.Dir', 'readSync', op('fs.Dir#readSync', 'fs', 'use await dir.read() or for await (const entry of dir)', 'none'))
  add('fs.Dir', 'closeSync', op('fs.Dir#closeSync', 'fs', 'use await dir.close()', 'none'))
  for (const key of ['execSync', 'execFileSync', 'spawnSync']) {
    const alt = { execSync: 'child_process.exec', execFileSync: 'child_process.execFile', spawnSync: 'child_process.spawn' }[key]
    add('child_process', key, op(`child_process.${key}`, 'child_process', `use ${alt} (promisified) instead`, 'command'))
  }
  for (const [key, alt] of Object.entries(zlibHints)) {
    add('zlib', key, op(`zlib.${key}`, 'zlib', `use zlib.${alt} (callback or util.promisify) or a stream`, 'size'))
  }
  // Node's sync path (what `zlib.*Sync` runs), called on a stream object of one's own without a
  // callback: Node keeps `_processChunk` for older code that compresses synchronously this way.
  add('zlib.ZlibBase', '_processChunk', op('zlib.processChunkSync', 'zlib', 'use the async zlib API (zlib.inflate and the like with a callback, or a zlib stream)', 'size', true))
  for (const [key, alt] of Object.entries(cryptoSync)) {
    add('crypto', key, op(`crypto.${key}`, 'crypto', `use crypto.${alt} with a callback (or util.promisify)`, key === 'randomFillSync' ? 'size' : 'none'))
  }
  for (const key of ['randomBytes', 'randomInt', 'sign', 'verify']) {
    add('crypto', key, op(`crypto.${key}`, 'crypto', `pass a callback to crypto.${key} (or use util.promisify)`, key === 'randomBytes' ? 'count' : 'none', true))
  }
  add('Atomics', 'wait', op('Atomics.wait', 'atomics', 'use Atomics.waitAsync', 'none'))
  return Object.freeze(sites)
}

/**
 * Every blocking operation loopcop knows, with where it lives. Entries whose function does not
 * exist on this Node version or platform (`fs.lchmodSync` off macOS, `fs.globSync` before
 * Node 22, `zlib.zstd*` before 22.15, `fs.mkdtempDisposableSync` before 24.4, `crypto.argon2Sync`
 * before 24.7, `fs.openAsBlobSync` before 26.10) are skipped at install time. Node 26's
 * experimental ZIP archive API (`zlib.ZipFile`, `ZipEntry`, `ZipBuffer` and their `*Sync` methods)
 * reads, writes and compresses through the `fs` and `zlib` functions here, so its calls are these
 * operations; `zlib.createZipArchiveSync` itself serializes entries already made as its iterator is
 * read (a file-backed entry read through `fs.readSync`) and is not one.
 */
export const catalog: readonly OperationSite[] = buildCatalog()

/** Declares a user operation (for `markAsBlocking`). */
export function userOperation(id: string, hint: string): Operation {
  return op(id, 'user', hint, 'none')
}

/**
 * A zlib stream's handle stepped synchronously by the code itself (`handle.writeSync`, the native
 * step of every sync zlib call; see intercept/zlib-handles.ts). Not in the catalog: its targets are
 * met at run time.
 */
export const zlibHandleOperation: Operation = op('zlib.handle.writeSync', 'zlib', 'use the async zlib API (zlib.inflate and the like with a callback, or a zlib stream)', 'none')

/** The pseudo-operation allow rules see for a stall: `allow: ['stall']` allows every stall. */
export const stallOperation: Operation = op('stall', 'user', 'split the work (await between chunks), or move it to a worker thread', 'none')
