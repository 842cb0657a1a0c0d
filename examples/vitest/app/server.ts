// (In `app/`, not `src/`: Vitest hides frames whose path contains `/vitest/src/`, which this folder would.)
// A tiny app with three handlers: two block the event loop, one does not.
import { execSync } from 'node:child_process'
import { promises as fsp, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const usersFile = fileURLToPath(new URL('../data/users.json', import.meta.url))

export interface User {
  readonly id: number
  readonly name: string
}

/** GET /users — reads the file synchronously: every request stalls the whole server. */
export function listUsers(): User[] {
  return JSON.parse(readFileSync(usersFile, 'utf8')) as User[]
}

/** GET /version — shells out and waits for the child process. */
export function version(): string {
  return execSync('node --version', { encoding: 'utf8' }).trim()
}

/** GET /users (fixed) — the same read, without blocking. */
export async function listUsersAsync(): Promise<User[]> {
  return JSON.parse(await fsp.readFile(usersFile, 'utf8')) as User[]
}
