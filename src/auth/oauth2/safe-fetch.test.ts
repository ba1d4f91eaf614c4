// SSRF guard of the avatar download (SECURITY.md F15): internal addresses are never connected to.
import net from 'node:net'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { avatarUrlProblem, downloadAvatar, isPublicAddress } from './safe-fetch.ts'

describe('isPublicAddress', () => {
  it.each([
    '127.0.0.1', '10.1.2.3', '172.16.0.1', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '224.0.0.1',
    '::1', '::', '::ffff:127.0.0.1', '::ffff:7f00:1', '::ffff:a9fe:a9fe', 'fe80::1', 'fc00::1', 'fd12::1', '64:ff9b::7f00:1', '2002:7f00:1::', 'not-an-ip',
  ])('%s is not public', (ip) => expect(isPublicAddress(ip)).toBe(false))

  it.each(['8.8.8.8', '1.1.1.1', '140.82.112.3', '2606:4700:4700::1111', '2a00:1450:4001:80b::200e'])('%s is public', (ip) => expect(isPublicAddress(ip)).toBe(true))
})

describe('avatarUrlProblem', () => {
  it.each([
    ['http://example.com/a.png', 'not https'],
    ['file:///etc/passwd', 'not https'],
    ['https://127.1/a.png', 'non-public address'],
    ['https://2130706433/a.png', 'non-public address'],
    ['https://0x7f.0.0.1/a.png', 'non-public address'],
    ['https://[::ffff:7f00:1]/a.png', 'non-public address'],
    ['https://169.254.169.254/latest/meta-data', 'non-public address'],
    ['https://user:pw@example.com/a.png', 'credentials in URL'],
    ['not a url', 'invalid URL'],
  ])('%s → %s', (url, problem) => expect(avatarUrlProblem(url)).toBe(problem))

  it('accepts https to a public host name (checked again at connect time)', () => {
    expect(avatarUrlProblem('https://avatars.githubusercontent.com/u/1?v=4')).toBeNull()
  })
})

describe('downloadAvatar', () => {
  let server: net.Server
  let connections = 0
  let port = 0
  beforeAll(async () => {
    server = net.createServer((s) => { connections++; s.destroy() })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
    port = (server.address() as AddressInfo).port
  })
  afterAll(() => new Promise<void>((r) => server.close(() => r())))

  it('never connects to a host name that resolves to loopback (checked in the socket lookup)', async () => {
    expect(await downloadAvatar(`https://localhost:${port}/a.png`)).toBeNull()
    expect(await downloadAvatar(`https://127.0.0.1:${port}/a.png`)).toBeNull()
    expect(await downloadAvatar(`http://127.0.0.1:${port}/a.png`)).toBeNull()
    expect(connections).toBe(0)
  })
})
