/* eslint-disable @typescript-eslint/no-require-imports -- a CommonJS example */
const fs = require('node:fs')
const path = require('node:path')
const { execSync } = require('node:child_process')

const configFile = path.join(__dirname, 'config.json')

/** GET /users — reads its configuration synchronously: blocks the event loop on every request. */
function listUsers() {
  const config = JSON.parse(fs.readFileSync(configFile, 'utf8'))
  return { status: 200, body: config.users }
}

/** GET /version — shells out with execSync: the whole server waits for the child process. */
function version() {
  return { status: 200, body: execSync('node --version').toString().trim() }
}

/** GET /greeting — the async way: other requests go on while the file is read. */
async function greeting(name) {
  const config = JSON.parse(await fs.promises.readFile(configFile, 'utf8'))
  return { status: 200, body: `${config.greeting}, ${name}` }
}

module.exports = { listUsers, version, greeting }
