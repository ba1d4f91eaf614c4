// "geoPoint" field (PocketBase v0.27): {lon, lat} stored as JSON; {0,0} is the empty value.
import type { FieldError } from '../../errors.ts'
import type { GeoPointField } from '../types.ts'
import type { FieldKind } from './kind.ts'
import { baseOf, checkId, err, optBool, requiredError, unsupportedType } from './common.ts'
import { ErrorCode } from '../../error-codes.ts'

export interface GeoPoint { lon: number; lat: number }

const zero = (): GeoPoint => ({ lon: 0, lat: 0 })

/** An object (or its JSON text) with numeric lon/lat; anything else is the zero point. Never throws. */
function toPoint(raw: unknown): GeoPoint | null {
  let v = raw
  if (typeof v === 'string') {
    if (!v.trim()) return zero()
    try { v = JSON.parse(v) } catch { return null }
  }
  if (v === null || v === undefined) return zero()
  if (typeof v !== 'object' || Array.isArray(v)) return null
  const o = v as Record<string, unknown>
  const num = (x: unknown) => (x === undefined ? 0 : typeof x === 'number' ? x : typeof x === 'string' && x.trim() !== '' ? Number(x) : NaN)
  return { lon: num(o.lon), lat: num(o.lat) }
}

export const geoPointKind: FieldKind<GeoPointField> = {
  type: 'geoPoint',
  withDefaults(input) {
    const i = input as Record<string, unknown>
    return { ...baseOf('geoPoint', i), required: optBool(i.required) }
  },
  validateOptions(f) {
    const errors: Record<string, FieldError> = {}
    checkId(errors, f.id)
    return errors
  },
  columnKind: () => 'json',
  zeroValue: zero,
  // An unreadable value is kept as NaN coordinates so validation rejects it instead of storing {0,0}.
  normalize: (_f, raw) => toPoint(raw) ?? { lon: NaN, lat: NaN },
  validate(f, value) {
    const p = value as GeoPoint
    if (!p || typeof p !== 'object' || !Number.isFinite(p.lon) || !Number.isFinite(p.lat)) return unsupportedType()
    if (p.lon < -180 || p.lon > 180) return err(ErrorCode.invalidGeoPoint, 'Longitude must be between -180 and 180 degrees')
    if (p.lat < -90 || p.lat > 90) return err(ErrorCode.invalidGeoPoint, 'Latitude must be between -90 and 90 degrees')
    return f.required && p.lon === 0 && p.lat === 0 ? requiredError() : null
  },
  fromDb: (_f, raw) => {
    const p = toPoint(raw)
    return p && Number.isFinite(p.lon) && Number.isFinite(p.lat) ? p : zero()
  },
  toDb: (_f, value) => {
    const p = value as GeoPoint | null
    return JSON.stringify(p && Number.isFinite(p.lon) && Number.isFinite(p.lat) ? { lon: p.lon, lat: p.lat } : zero())
  },
}
