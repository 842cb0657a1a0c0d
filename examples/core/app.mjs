// A tiny app with the usual suspects: a config loader that reads synchronously, a handler that
// shells out, a hash with a sync KDF, and a clean async handler.
import { execSync } from 'node:child_process'
import { pbkdf2Sync } from 'node:crypto'
import fs from 'node:fs'
import { readFile } from 'node:fs/promises'

const configPath = new URL('./config.json', import.meta.url)

export function loadConfig() {
  return JSON.parse(fs.readFileSync(configPath, 'utf8'))
}

export async function getUsers() {
  const config = loadConfig()
  return config.users
}

export async function gitVersion() {
  return execSync('git --version').toString().trim()
}

export async function hashPassword(password) {
  return pbkdf2Sync(password, 'salt', 20_000, 32, 'sha256').toString('hex')
}

export async function getUsersAsync() {
  const config = JSON.parse(await readFile(configPath, 'utf8'))
  return config.users
}
