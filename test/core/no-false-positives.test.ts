import childProcess from 'node:child_process'
import crypto from 'node:crypto'
import fs from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { pipeline } from 'node:stream/promises'
import { setTimeout as sleep } from 'node:timers/promises'
import { promisify } from 'node:util'
import zlib from 'node:zlib'
import { afterEach, describe, expect, test } from 'vitest'
import { detect, type BlockingIOError } from '../../src/index.js'
import { callsOf, defaultsWithoutStalls, operationsOf, tempDir } from './support.js'

defaultsWithoutStalls()
const dir = tempDir()
const file = join(dir, 'file.txt')
fs.writeFileSync(file, 'hello world')
const node = process.execPath

// Node 20's fetch makes a multipart body's boundary with crypto.randomInt (no callback): Node's own
// code, allowed by a built-in rule (h3). Node 22 and later make no such call; nothing is found there.
test("Node's fetch building a FormData body is no finding (Node 20: its crypto.randomInt, allowed as Node's fetch)", async () => {
  const { findings } = await detect(async () => {
    const body = new FormData()
    body.append('a', 'b')
    await new Request('http://localhost/upload', { method: 'POST', body }).text()
  })
  expect(findings.filter((f) => !f.allowed)).toEqual([])
  for (const f of findings) expect(f.allowedBy).toBe("built-in: Node's fetch (its bundled undici)")
})

// `process.stdout` on a file is Node's SyncWriteStream, which takes `fs.writeSync` when the stream is
// first made: made inside a scope, after loopcop wrapped `fs`, each write was a finding (tinypool on
// Node 20: a worker thread's output relayed by Node into a Vitest fork whose output went to a file).
test("the process's output to a file is no finding, whenever Node made the stream (Node's SyncWriteStream)", () => {
  const script = join(dir, 'stdout-to-file.mjs')
  const out = join(dir, 'stdout.txt')
  fs.writeFileSync(
    script,
    // The package as installed (the test set-up installs the packed tarball there): under tsx, the
    // stream is made before the script runs, and the case does not arise.
    `import { detect } from ${JSON.stringify(pathToFileURL(join(process.cwd(), 'test/fixtures/node_modules/loopcop/dist/esm/src/index.js')).href)}
const { findings } = await detect(() => {
  process.stdout.write('first, inside the scope\\n')
  console.log('and through console.log')
})
process.stderr.write(JSON.stringify(findings.filter((f) => !f.allowed).map((f) => f.operation)))
`,
  )
  const fd = fs.openSync(out, 'w')
  try {
    const run = childProcess.spawnSync(node, [script], { stdio: ['ignore', fd, 'pipe'], encoding: 'utf8', env: { ...process.env, LOOPCOP_STALL_MS: '0' } })
    expect(run.status, run.stderr).toBe(0)
    expect(JSON.parse(run.stderr.trim().split('\n').pop() ?? '')).toEqual([])
  } finally {
    fs.closeSync(fd)
  }
  // It was a file, written through Node's stream.
  expect(fs.readFileSync(out, 'utf8')).toBe('first, inside the scope\nand through console.log\n')
})

describe('async APIs are never findings', () => {
  test('fs.promises.* and FileHandle methods', async () => {
    const { findings, value } = await detect(async () => {
      const p = fs.promises
      await p.access(file)
      const text = await p.readFile(file, 'utf8')
      await p.writeFile(join(dir, 'p.txt'), 'x')
      await p.appendFile(join(dir, 'p.txt'), 'y')
      await p.stat(file)
      await p.lstat(file)
      await p.readdir(dir)
      await p.mkdir(join(dir, 'pd', 'deep'), { recursive: true })
      await p.copyFile(file, join(dir, 'pcopy.txt'))
      await p.cp(join(dir, 'pd'), join(dir, 'pd2'), { recursive: true })
      await p.rename(join(dir, 'pcopy.txt'), join(dir, 'pmoved.txt'))
      await p.realpath(file)
      await p.mkdtemp(join(dir, 'pt-'))
      await p.rm(join(dir, 'pd2'), { recursive: true })
      await p.unlink(join(dir, 'pmoved.txt'))
      const handle = await p.open(file, 'r')
      const { bytesRead } = await handle.read(Buffer.alloc(5), 0, 5, 0)
      await handle.stat()
      await handle.close()
      const entries: string[] = []
      for await (const entry of await p.opendir(dir)) entries.push(entry.name)
      return { text, bytesRead, entries }
    })
    expect(value.text).toBe('hello world')
    expect(value.bytesRead).toBe(5)
    expect(value.entries).toContain('file.txt')
    expect(findings).toEqual([])
  })

  test('callback fs APIs and streams', async () => {
    const { findings, value } = await detect(async () => {
      const text = await promisify(fs.readFile)(file, 'utf8')
      await promisify(fs.stat)(file)
      await promisify(fs.writeFile)(join(dir, 'cb.txt'), 'x')
      await promisify(fs.readdir)(dir)
      await promisify(fs.mkdir)(join(dir, 'cbd'), { recursive: true })
      await promisify(fs.rm)(join(dir, 'cbd'), { recursive: true })
      await new Promise<void>((resolve, reject) => fs.access(file, (error) => (error ? reject(error) : resolve())))
      const chunks: Buffer[] = []
      for await (const chunk of fs.createReadStream(file)) chunks.push(chunk as Buffer)
      await pipeline(fs.createReadStream(file), zlib.createGzip(), fs.createWriteStream(join(dir, 'file.gz')))
      return { text, streamed: Buffer.concat(chunks).toString() }
    })
    expect(value).toEqual({ text: 'hello world', streamed: 'hello world' })
    expect(findings).toEqual([])
  })

  test('async zlib', async () => {
    const { findings, value } = await detect(async () => {
      const gz = await promisify(zlib.gzip)('data')
      const deflated = await promisify(zlib.deflate)('data')
      const br = await promisify(zlib.brotliCompress)('data')
      return [
        (await promisify(zlib.gunzip)(gz)).toString(),
        (await promisify(zlib.inflate)(deflated)).toString(),
        (await promisify(zlib.unzip)(gz)).toString(),
        (await promisify(zlib.brotliDecompress)(br)).toString(),
      ]
    })
    expect(value).toEqual(['data', 'data', 'data', 'data'])
    expect(findings).toEqual([])
  })

  test('crypto with a callback (randomBytes, randomInt, sign, verify included) and WebCrypto', async () => {
    const { privateKey, publicKey } = crypto.generateKeyPairSync('ed25519')
    const data = Buffer.from('payload')
    const { findings, value } = await detect(async () => {
      const bytes = await promisify(crypto.randomBytes)(8)
      const int = await new Promise<number>((resolve, reject) => crypto.randomInt(10, (error, n) => (error ? reject(error) : resolve(n))))
      const sig = await new Promise<Buffer>((resolve, reject) => crypto.sign(null, data, privateKey, (error, s) => (error ? reject(error) : resolve(s))))
      const ok = await new Promise<boolean>((resolve, reject) => crypto.verify(null, data, publicKey, sig, (error, v) => (error ? reject(error) : resolve(v))))
      await promisify(crypto.pbkdf2)('pw', 'salt', 1, 16, 'sha256')
      await promisify(crypto.scrypt)('pw', 'salt', 16)
      await promisify(crypto.randomFill)(Buffer.alloc(8))
      await promisify(crypto.hkdf)('sha256', 'key', 'salt', 'info', 16)
      await new Promise<void>((resolve, reject) => crypto.generateKeyPair('ed25519', {}, (error) => (error ? reject(error) : resolve())))
      await promisify(crypto.generateKey)('hmac', { length: 64 })
      const prime = await new Promise<bigint>((resolve, reject) => crypto.generatePrime(16, { bigint: true }, (error, p) => (error ? reject(error) : resolve(p))))
      await promisify(crypto.checkPrime)(prime)
      await crypto.webcrypto.subtle.digest('SHA-256', data)
      return { bytes: bytes.length, int, ok }
    })
    expect(value.bytes).toBe(8)
    expect(value.int).toBeGreaterThanOrEqual(0)
    expect(value.ok).toBe(true)
    expect(findings).toEqual([])
  })

  test('async child_process (exec and execFile with a callback, spawn)', async () => {
    const { findings, value } = await detect(async () => {
      const { stdout } = await promisify(childProcess.exec)(`"${node}" -p 6*7`)
      const file = await promisify(childProcess.execFile)(node, ['-p', '1+1'])
      const code = await new Promise<number | null>((resolve) => childProcess.spawn(node, ['-e', '0']).on('close', resolve))
      return [stdout.trim(), file.stdout.trim(), code]
    })
    expect(value).toEqual(['42', '2', 0])
    expect(findings).toEqual([])
  })

  test('timers and Atomics.waitAsync', async () => {
    const { findings } = await detect(async () => {
      await sleep(1)
      const cell = new Int32Array(new SharedArrayBuffer(4))
      const waitAsync = (Atomics as unknown as { waitAsync?: (a: Int32Array, i: number, v: number, t: number) => { value: unknown } }).waitAsync
      if (waitAsync !== undefined) await waitAsync(cell, 0, 0, 1).value
    })
    expect(findings).toEqual([])
  })
})

describe("loopcop's own work is never a finding", () => {
  const previous = Error.prepareStackTrace
  afterEach(() => {
    Error.prepareStackTrace = previous
  })

  /**
   * A source-mapping `prepareStackTrace` that reads a file synchronously, as source-map-support
   * does. (With one installed, Node formats a stack as soon as it is captured.)
   */
  function readingPrepareStackTrace(): void {
    Error.prepareStackTrace = function prepareStackTrace(error, sites) {
      fs.statSync(dir)
      return previous !== undefined ? previous(error, sites) : `${String(error)}\n${sites.map((s) => `    at ${String(s)}`).join('\n')}`
    }
  }

  test('formatting the stacks of kept calls (prepareStackTrace doing sync I/O)', async () => {
    readingPrepareStackTrace()
    // 150 calls: the 100th makes loopcop judge the kept stacks while the scope is running.
    const { findings } = await detect(() => {
      for (let i = 0; i < 150; i++) fs.existsSync(file)
    })
    expect(new Set(operationsOf(findings))).toEqual(new Set(['fs.existsSync']))
    expect(callsOf(findings)).toBe(150)
  })

  test('formatting the stack in throw mode raises for the call, not for the formatting', async () => {
    readingPrepareStackTrace()
    const error = await detect(() => fs.existsSync(file), { mode: 'throw' }).catch((e: unknown) => e)
    expect((error as BlockingIOError).name).toBe('BlockingIOError')
    expect(operationsOf((error as BlockingIOError).findings)).toEqual(['fs.existsSync'])
  })
})
