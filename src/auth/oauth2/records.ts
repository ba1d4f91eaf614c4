// Record-side helpers of the OAuth2 flow: the create payload (createData + email + mapped fields +
// random password) and the verified/claimed patch applied to an existing account.
import type { Collection, Field } from '../../core/collections/types.ts'
import { fieldKind } from '../../core/collections/fields/index.ts'
import { ApiError, badRequest, fieldError } from '../../core/errors.ts'
import type { RecordWrites } from '../../core/records/record-writes.ts'
import { isUniqueViolation } from '../../store/types.ts'
import { newTokenKey, randomString } from '../../core/ids.ts'
import type { UploadedFile } from '../../core/records/input.ts'
import { sql } from '../../store/sql.ts'
import type { Store } from '../../store/types.ts'
import type { RecordData } from '../../rules/request-info.ts'
import { hashPassword } from '../passwords.ts'
import { downloadAvatar } from './safe-fetch.ts'
import type { OAuth2User } from './user.ts'
import { ErrorCode } from '../../core/error-codes.ts'

const sameEmail = (a: unknown, b: string) => !!b && String(a ?? '').toLowerCase() === b.toLowerCase()

/** A mapped value is used only if the field accepts it as is; a bad one is dropped, never a failed sign-up. */
async function acceptable(field: Field, value: unknown): Promise<unknown | undefined> {
  const kind = fieldKind(field.type)
  if (!kind || field.hidden || field.system) return undefined
  const v = kind.normalize(field as never, value)
  return (await kind.validate(field as never, v, { isNew: true })) ? undefined : v
}

/**
 * The body for the normal record-create path. `createData` wins over mapped values; the email is the
 * provider's verified one (createData may only repeat it: refuseForeignEmail); the password is random unless given.
 * Avatars: a file field gets the image through the SSRF-safe downloader (https, public addresses only);
 * a url/text field gets the URL string.
 */
export async function newRecordBody(store: Store, c: Collection, user: OAuth2User, createData: Record<string, unknown>): Promise<{ body: Record<string, unknown>; files: Map<string, UploadedFile[]> }> {
  const body: Record<string, unknown> = { ...createData }
  const files = new Map<string, UploadedFile[]>()
  // The provider's verified address, as the provider spells it (refuseForeignEmail allowed only the same one).
  if (user.email) body.email = user.email
  const mapped = c.auth!.oauth2.mappedFields ?? {}
  const fieldFor = (key: string) => {
    const name = typeof mapped[key] === 'string' ? mapped[key] : ''
    const f = name ? c.fields.find((x) => x.name === name) : undefined
    return f && !(f.name in body) ? f : undefined
  }
  for (const key of ['id', 'name', 'username'] as const) {
    const f = fieldFor(key)
    const v = f && user[key] && await acceptable(f, user[key])
    if (!f || v === undefined || v === '') continue
    // A taken username is skipped rather than failing the sign-up on a unique index.
    if (key === 'username' && await store.get(sql`SELECT 1 AS "x" FROM ${store.dialect.ident(c.name)} WHERE ${store.dialect.ident(f.name)} = ${String(v)} LIMIT 1`)) continue
    body[f.name] = v
  }
  const avatarField = fieldFor('avatarURL')
  if (avatarField && user.avatarURL) {
    if (avatarField.type === 'file') {
      const image = await downloadAvatar(user.avatarURL)
      if (image) files.set(avatarField.name, [image])
    } else {
      const v = await acceptable(avatarField, user.avatarURL)
      if (v !== undefined) body[avatarField.name] = v
    }
  }
  if (!('password' in body)) {
    const password = randomString(30)
    Object.assign(body, { password, passwordConfirm: password })
  }
  return { body, files }
}

export interface AccountPatch { values: Record<string, unknown>; dropLinks: boolean }

/** What an OAuth2 login changes on an existing (or just created) record; null when nothing. */
export async function accountPatch(c: Collection, record: RecordData, user: OAuth2User, claimed: boolean): Promise<AccountPatch | null> {
  const values: Record<string, unknown> = {}
  // A record created through a provider that gave no email gets the first verified one it sees.
  if (!record.email && user.email) values.email = user.email
  const email = values.email ?? record.email
  if (record.verified || !sameEmail(email, user.email)) return Object.keys(values).length ? { values, dropLinks: false } : null
  values.verified = true
  if (!claimed) return { values, dropLinks: false }
  values.password = await hashPassword(randomString(40))
  values.tokenKey = newTokenKey()
  return { values, dropLinks: true }
}

/** Writes `values` through the record write path and returns the record as stored. */
export async function applyPatch(writes: RecordWrites, c: Collection, record: RecordData, values: Record<string, unknown>): Promise<RecordData> {
  return writes.update(c, record, { ...record, ...values })
}

/** A unique-email collision from the write path (or the driver). */
export function isEmailTaken(err: unknown): boolean {
  return isUniqueViolation(err) || (err instanceof ApiError && err.status === 400 && !!err.data.email)
}

/**
 * A new account's email is the one the provider verified: `createData` may repeat it, never name
 * another (otherwise anyone could pre-register a victim's address linked to their own provider account).
 */
export function refuseForeignEmail(createData: Record<string, unknown>, user: OAuth2User): void {
  if (!('email' in createData) || createData.email === '' || createData.email === null) return
  if (sameEmail(createData.email, user.email)) return
  throw badRequest('Failed to authenticate.', {
    email: fieldError(ErrorCode.oauth2EmailMismatch, 'The email must be the address verified by the OAuth2 provider.'),
  })
}
