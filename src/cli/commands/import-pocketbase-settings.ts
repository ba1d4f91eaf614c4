// PocketBase's `_params` settings row → Basalt's stored settings (the same sections), keeping what validates.
import { defaultSettings, mergeSettings } from '../../settings/settings.ts'
import type { ParamRow } from '../../store/transfer.ts'
import type { PbReport } from './import-pocketbase-source.ts'

type Json = Record<string, unknown>
const isObject = (v: unknown): v is Json => !!v && typeof v === 'object' && !Array.isArray(v)

/**
 * PocketBase stores the whole settings object as JSON, or, when started with an encryption key
 * (`--encryptionEnv`), as AES-GCM ciphertext that only that key opens. Ciphertext is reported and
 * left behind: Basalt then starts from its defaults and `BASALT_*` env vars.
 */
export function pbSettingsParam(row: Json, report: PbReport): ParamRow | null {
  let value: unknown
  try { value = JSON.parse(String(row.value ?? 'null')) } catch { value = undefined }
  if (!isObject(value)) {
    report.notCarried.push({
      what: 'settings',
      reason: 'they are encrypted (PocketBase ran with an encryption key) or unreadable; set SMTP, S3, rate limits etc. again in Basalt (dashboard or BASALT_* env)',
    })
    return null
  }
  const s3 = value.s3
  if (isObject(s3) && s3.enabled === true) {
    report.notCarried.push({
      what: `uploaded files in S3 bucket ${JSON.stringify(String(s3.bucket ?? ''))}`,
      reason: 'PocketBase kept files on S3, not in storage/; the s3 settings are carried and Basalt uses the same key layout, so it serves them from the same bucket',
    })
  }
  const stored = carriedSettings(value, report)
  if (!Object.keys(stored).length) return null
  return { id: 'settings', value: JSON.stringify(stored), created: String(row.created ?? ''), updated: String(row.updated ?? '') }
}

/** Section by section; a section that does not validate as a whole is retried key by key, so one bad value loses only itself. */
function carriedSettings(pb: Json, report: PbReport): Json {
  const defaults = defaultSettings() as unknown as Record<string, Json>
  const out: Json = {}
  for (const [section, value] of Object.entries(pb)) {
    if (!isObject(defaults[section]) || !isObject(value)) {
      report.notCarried.push({ what: `settings.${section}`, reason: 'Basalt has no such settings section' })
      continue
    }
    const known: Json = {}
    for (const [key, v] of Object.entries(value)) {
      if (key in defaults[section]) known[key] = v
      else report.notCarried.push({ what: `settings.${section}.${key}`, reason: 'Basalt has no such setting' })
    }
    if (accepted(section, known)) { out[section] = known; continue }
    const kept: Json = {}
    for (const [key, v] of Object.entries(known)) {
      const problem = rejection(section, { [key]: v })
      if (problem) report.notCarried.push({ what: `settings.${section}.${key}`, reason: `Basalt rejects the value: ${problem}` })
      else kept[key] = v
    }
    if (Object.keys(kept).length) out[section] = kept
  }
  return out
}

function rejection(section: string, values: Json): string | null {
  const { errors } = mergeSettings(defaultSettings(), { [section]: values })
  return errors[section] ? JSON.stringify(errors[section]).slice(0, 300) : null
}

const accepted = (section: string, values: Json) => rejection(section, values) === null
