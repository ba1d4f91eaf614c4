// Application settings as PocketBase shapes them (meta, smtp, rateLimits, trustedProxy, batch, logs): defaults and validation.
import { Cron } from 'croner'
import { fieldError, type ErrorData } from '../core/errors.ts'
import type { S3Config } from '../files/s3-storage.ts'
import { ErrorCode } from '../core/error-codes.ts'

export interface RateLimitRule { label: string; audience: '' | '@guest' | '@auth'; maxRequests: number; duration: number }

export interface Settings {
  meta: { appName: string; appURL: string; senderName: string; senderAddress: string; hideControls: boolean }
  smtp: { enabled: boolean; host: string; port: number; username: string; password: string; authMethod: string; tls: boolean; localName: string }
  batch: { enabled: boolean; maxRequests: number; timeout: number; maxBodySize: number }
  rateLimits: { enabled: boolean; rules: RateLimitRule[]; excludedIPs: string[] }
  trustedProxy: { headers: string[]; useLeftmostIP: boolean }
  logs: { maxDays: number; minLevel: number; logIP: boolean; logAuthId: boolean }
  /** Uploaded files on an S3-compatible store instead of the data directory (docs/files.md). */
  s3: S3Config
  /** Scheduled backups (docs/backups.md): croner expression ('' = off), automatic backups kept, optional S3 target. */
  backups: { cron: string; cronMaxKeep: number; s3: S3Config }
}

export const SECRET_PATHS = [['smtp', 'password'], ['s3', 'secret']] as const

export function defaultSettings(env: NodeJS.ProcessEnv = {}): Settings {
  return {
    meta: {
      appName: env.BASALT_APP_NAME ?? 'Acme',
      appURL: env.BASALT_APP_URL ?? 'http://localhost:8090',
      senderName: env.BASALT_SENDER_NAME ?? 'Support',
      senderAddress: env.BASALT_SENDER_ADDRESS ?? 'support@example.com',
      hideControls: false,
    },
    smtp: {
      enabled: !!env.BASALT_SMTP_HOST,
      host: env.BASALT_SMTP_HOST ?? 'smtp.example.com',
      port: Number(env.BASALT_SMTP_PORT ?? 587),
      username: env.BASALT_SMTP_USERNAME ?? '',
      password: env.BASALT_SMTP_PASSWORD ?? '',
      authMethod: 'PLAIN',
      tls: env.BASALT_SMTP_TLS === 'true',
      localName: '',
    },
    batch: { enabled: false, maxRequests: 50, timeout: 3, maxBodySize: 0 },
    // Unlike PocketBase, limits ship enabled (per client IP; superusers and excludedIPs bypass). They cap
    // cost, not guessing — wrong passwords are stopped by the separate brute-force guard (src/ratelimit) —
    // so they are generous enough for a NAT of real users: `*:auth` ≈ 5 password hashes/s per IP.
    rateLimits: {
      enabled: true,
      rules: [
        { label: '*:auth', audience: '', maxRequests: 300, duration: 60 },
        { label: '*:create', audience: '', maxRequests: 200, duration: 5 },
        { label: '/api/batch', audience: '', maxRequests: 20, duration: 1 },
        // No blanket `/api/` rule by default: behind a proxy without trustedProxy configured every
        // client shares one IP, and reads are cheap. Add one in settings if you want it.
      ],
      excludedIPs: [],
    },
    trustedProxy: { headers: [], useLeftmostIP: false },
    logs: { maxDays: 5, minLevel: 0, logIP: true, logAuthId: false },
    s3: { enabled: false, bucket: '', region: '', endpoint: '', accessKey: '', secret: '', forcePathStyle: false },
    backups: {
      cron: '', cronMaxKeep: 3,
      s3: { enabled: false, bucket: '', region: '', endpoint: '', accessKey: '', secret: '', forcePathStyle: false },
    },
  }
}

type Json = Record<string, unknown>
const isPlainObject = (v: unknown): v is Json => !!v && typeof v === 'object' && !Array.isArray(v)

/** Deep-merges a partial patch over settings; unknown keys and wrong types are reported, never stored. */
export function mergeSettings(current: Settings, patch: Json): { settings: Settings; errors: ErrorData } {
  const next = structuredClone(current) as unknown as Json
  const errors: ErrorData = {}
  for (const [section, value] of Object.entries(patch)) {
    const target = next[section]
    if (!target || typeof target !== 'object' || Array.isArray(target)) continue // unknown sections are ignored
    if (!value || typeof value !== 'object' || Array.isArray(value)) {
      errors[section] = fieldError(ErrorCode.invalidValue, 'Must be an object.')
      continue
    }
    const sectionErrors: ErrorData = {}
    for (const [key, v] of Object.entries(value as Json)) {
      const old = (target as Json)[key]
      if (old === undefined) continue
      const sameType = Array.isArray(old) ? Array.isArray(v) : typeof old === typeof v
      if (!sameType) { sectionErrors[key] = fieldError(ErrorCode.invalidValue, `Must be ${Array.isArray(old) ? 'a list' : `a ${typeof old}`}.`); continue }
      // A blank secret in a PATCH means "keep the stored one" (GET never returns it).
      if (v === '' && SECRET_PATHS.some(([s, k]) => s === section && k === key)) continue
      // Nested sections (backups.s3) merge key by key, with the same type checks and blank-secret rule.
      if (isPlainObject(old)) {
        if (!isPlainObject(v)) { sectionErrors[key] = fieldError(ErrorCode.invalidValue, 'Must be an object.'); continue }
        const merged = { ...old }
        for (const [k2, v2] of Object.entries(v)) {
          if (!(k2 in old) || (k2 === 'secret' && v2 === '')) continue
          if (typeof v2 !== typeof old[k2]) { sectionErrors[key] = { [k2]: fieldError(ErrorCode.invalidValue, `Must be a ${typeof old[k2]}.`) }; continue }
          merged[k2] = v2
        }
        ;(target as Json)[key] = merged
        continue
      }
      ;(target as Json)[key] = v
    }
    if (Object.keys(sectionErrors).length) errors[section] = sectionErrors
  }
  const settings = next as unknown as Settings
  Object.assign(errors, validateSettings(settings))
  return { settings, errors }
}

export function validateSettings(s: Settings): ErrorData {
  const errors: ErrorData = {}
  const meta: ErrorData = {}
  if (!s.meta.appName.trim()) meta.appName = fieldError(ErrorCode.required, 'Cannot be blank.')
  if (!/^https?:\/\/\S+$/.test(s.meta.appURL)) meta.appURL = fieldError(ErrorCode.invalidUrl, 'Must be a valid url.')
  if (!/^[^@\s]+@[^@\s]+$/.test(s.meta.senderAddress)) meta.senderAddress = fieldError(ErrorCode.isEmail, 'Must be a valid email address.')
  if (Object.keys(meta).length) errors.meta = meta
  if (s.smtp.enabled && (!s.smtp.host || !(s.smtp.port > 0 && s.smtp.port < 65536))) {
    errors.smtp = { host: fieldError(ErrorCode.required, 'SMTP host and port are required when SMTP is enabled.') }
  }
  const rules: ErrorData = {}
  s.rateLimits.rules.forEach((r, i) => {
    if (!r || typeof r.label !== 'string' || !r.label || !(r.maxRequests > 0) || !(r.duration > 0) || !['', '@guest', '@auth'].includes(r.audience ?? '')) {
      rules[i] = fieldError(ErrorCode.invalidValue, 'Each rule needs a label, audience "", "@guest" or "@auth", maxRequests > 0 and duration > 0.')
    }
  })
  if (Object.keys(rules).length) errors.rateLimits = { rules }
  const s3 = validateS3(s.s3)
  if (s3) errors.s3 = s3
  if (!s.trustedProxy.headers.every((h) => typeof h === 'string' && /^[A-Za-z0-9-]+$/.test(h))) {
    errors.trustedProxy = { headers: fieldError(ErrorCode.invalidValue, 'Header names only.') }
  }
  const backups = backupsErrors(s.backups)
  if (Object.keys(backups).length) errors.backups = backups
  return errors
}

function backupsErrors(b: Settings['backups']): ErrorData {
  const out: ErrorData = {}
  if (b.cron) {
    try { new Cron(b.cron, { paused: true }).stop() } catch { out.cron = fieldError(ErrorCode.invalidCron, 'Invalid cron expression.') }
  }
  if (!Number.isInteger(b.cronMaxKeep) || b.cronMaxKeep < 1) out.cronMaxKeep = fieldError(ErrorCode.minGreaterEqualThanRequired, 'Must be no less than 1.')
  const s3 = validateS3(b.s3)
  if (s3) out.s3 = s3
  return out
}

/** PocketBase's rule: an enabled S3 config needs bucket, region, endpoint and both keys. */
export function validateS3(c: S3Config): ErrorData | null {
  if (!c.enabled) return null
  const errors: ErrorData = {}
  for (const k of ['bucket', 'region', 'endpoint', 'accessKey', 'secret'] as const) {
    if (!c[k].trim()) errors[k] = fieldError(ErrorCode.required, 'Cannot be blank.')
  }
  if (c.endpoint && !/^https?:\/\/[^\s/]+/.test(c.endpoint) && !/^[\w.-]+(:\d+)?$/.test(c.endpoint)) {
    errors.endpoint = fieldError(ErrorCode.invalidUrl, 'Must be a valid url.')
  }
  return Object.keys(errors).length ? errors : null
}

/** Settings as sent to clients: secrets blanked. */
export function publicSettings(s: Settings): Settings {
  const out = structuredClone(s) as unknown as Record<string, Record<string, unknown>>
  for (const [section, key] of SECRET_PATHS) if (out[section]) out[section][key] = ''
  ;(out.backups.s3 as Record<string, unknown>).secret = ''
  return out as unknown as Settings
}
