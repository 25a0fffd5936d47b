// The HTTP ceiling: a bare node:http server answering every request with one precomputed page
// (read from stdin). It prints its port on stdout once listening. Run as a child process by main.ts.
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'

const chunks: Buffer[] = []
for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
const body = Buffer.concat(chunks)
const headers = { 'content-type': 'application/json; charset=utf-8', 'content-length': body.length }

const server = createServer((req, res) => {
  req.resume()
  res.writeHead(200, headers)
  res.end(body)
})
server.keepAliveTimeout = 60_000
server.listen(0, '127.0.0.1', () => process.stdout.write(`${(server.address() as AddressInfo).port}\n`))
