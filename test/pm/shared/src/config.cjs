'use strict'
// The code under test. loadConfigSync blocks the event loop: loopcop must name the readFileSync line.
const fs = require('node:fs')
const path = require('node:path')

const file = path.join(__dirname, 'config.json')

function loadConfigSync() {
  return JSON.parse(fs.readFileSync(file, 'utf8'))
}

async function loadConfig() {
  return JSON.parse(await fs.promises.readFile(file, 'utf8'))
}

module.exports = { loadConfig, loadConfigSync }
