// The example app: a config loader that reads synchronously, a handler that shells out, and a
// clean async handler.
import { execSync } from 'node:child_process'
import fs from 'node:fs'
import { readFile } from 'node:fs/promises'

const configPath = new URL('./config.json', import.meta.url)

export function loadConfig() {
  return JSON.parse(fs.readFileSync(configPath, 'utf8'))
}

export async function getUsers() {
  return loadConfig().users
}

export async function nodeVersion() {
  return execSync('node --version').toString().trim()
}

export async function getUsersAsync() {
  return JSON.parse(await readFile(configPath, 'utf8')).users
}
