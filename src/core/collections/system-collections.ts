// The collections every Basalt database starts with: `_superusers` and the default `users`.
import { formatDate } from '../clock.ts'
import { authSystemFields, defaultAuthOptions, idField, makeField, timestampFields } from './auth-defaults.ts'
import { ROLES_ID, ROLES_NAME, SUPERUSERS_ID, SUPERUSERS_NAME, USERS_ID, type Collection } from './types.ts'

export const EXTERNAL_AUTHS_ID = 'pbc_2281828961'
export const EXTERNAL_AUTHS_NAME = '_externalAuths'
export const AUTH_ORIGINS_ID = 'pbc_4275539003'
export const AUTH_ORIGINS_NAME = '_authOrigins'

export function superusersCollection(now: Date): Collection {
  const auth = defaultAuthOptions()
  auth.authToken.duration = 86400
  auth.authAlert.enabled = false
  return {
    id: SUPERUSERS_ID, name: SUPERUSERS_NAME, type: 'auth', system: true,
    fields: [idField(), ...authSystemFields(), ...timestampFields()],
    indexes: [
      `CREATE UNIQUE INDEX idx_tokenKey_${SUPERUSERS_ID} ON ${SUPERUSERS_NAME} (tokenKey)`,
      `CREATE UNIQUE INDEX idx_email_${SUPERUSERS_ID} ON ${SUPERUSERS_NAME} (email COLLATE NOCASE) WHERE email != ''`,
    ],
    listRule: null, viewRule: null, createRule: null, updateRule: null, deleteRule: null,
    created: formatDate(now), updated: formatDate(now), auth,
  }
}

/**
 * Roles (Basalt extension): `name` plus `inherits` (other roles). Only superusers manage them; an auth
 * record gets roles through a hidden `roles` relation to this collection, and rules see the
 * effective (inherited) role names as `@request.auth.roles`.
 */
export function rolesCollection(now: Date): Collection {
  return {
    id: ROLES_ID, name: ROLES_NAME, type: 'base', system: true,
    fields: [
      idField(),
      makeField('text', 'name', { required: true, max: 100, pattern: '^[A-Za-z0-9_.:-]+$' }),
      makeField('relation', 'inherits', { collectionId: ROLES_ID, maxSelect: 100 }),
      ...timestampFields(),
    ],
    indexes: [`CREATE UNIQUE INDEX idx_name_${ROLES_ID} ON ${ROLES_NAME} (name)`],
    listRule: null, viewRule: null, createRule: null, updateRule: null, deleteRule: null,
    created: formatDate(now), updated: formatDate(now),
  }
}

/** The hidden relation that gives auth records roles; hidden, so only superusers can set it. */
export function rolesField() {
  return makeField('relation', 'roles', { collectionId: ROLES_ID, maxSelect: 100, hidden: true })
}

export function usersCollection(now: Date): Collection {
  const auth = defaultAuthOptions()
  auth.oauth2.mappedFields = { id: '', name: 'name', username: '', avatarURL: 'avatar' }
  const owner = 'id = @request.auth.id'
  return {
    id: USERS_ID, name: 'users', type: 'auth', system: false,
    fields: [
      idField(), ...authSystemFields(),
      makeField('text', 'name', { max: 255 }),
      rolesField(),
      makeField('file', 'avatar', {
        maxSelect: 1, maxSize: 0,
        mimeTypes: ['image/jpeg', 'image/png', 'image/svg+xml', 'image/gif', 'image/webp'],
      }),
      ...timestampFields(),
    ],
    indexes: [
      `CREATE UNIQUE INDEX idx_tokenKey_${USERS_ID} ON users (tokenKey)`,
      `CREATE UNIQUE INDEX idx_email_${USERS_ID} ON users (email COLLATE NOCASE) WHERE email != ''`,
    ],
    listRule: owner, viewRule: owner, createRule: '', updateRule: owner, deleteRule: owner,
    created: formatDate(now), updated: formatDate(now), auth,
  }
}

/**
 * OAuth2 links (PocketBase's `_externalAuths`): provider account (provider + providerId) → auth record.
 * Written only by the OAuth2 flow (create/update rules locked); owners may list, view and delete
 * (unlink) their own links, which the SDK's listExternalAuths/unlinkExternalAuth use.
 */
export function externalAuthsCollection(now: Date): Collection {
  const owner = "@request.auth.id != '' && recordRef = @request.auth.id && collectionRef = @request.auth.collectionId"
  const text = (name: string) => makeField('text', name, { system: true, required: true })
  const t = EXTERNAL_AUTHS_NAME
  return {
    id: EXTERNAL_AUTHS_ID, name: t, type: 'base', system: true,
    fields: [idField(), text('collectionRef'), text('recordRef'), text('provider'), text('providerId'), ...timestampFields()],
    indexes: [
      `CREATE UNIQUE INDEX idx_externalAuths_record_provider ON ${t} (collectionRef, recordRef, provider)`,
      `CREATE UNIQUE INDEX idx_externalAuths_collection_provider ON ${t} (collectionRef, provider, providerId)`,
    ],
    listRule: owner, viewRule: owner, createRule: null, updateRule: null, deleteRule: owner,
    created: formatDate(now), updated: formatDate(now),
  }
}

/**
 * Devices an auth record logged in from (PocketBase's `_authOrigins`): a fingerprint of client IP and
 * User-Agent per record, written on login when the collection's `authAlert` is on; a login from an
 * unknown one mails the owner. Owners may list, view and delete theirs; nobody writes them by API.
 */
export function authOriginsCollection(now: Date): Collection {
  const owner = "@request.auth.id != '' && recordRef = @request.auth.id && collectionRef = @request.auth.collectionId"
  const text = (name: string) => makeField('text', name, { system: true, required: true })
  const t = AUTH_ORIGINS_NAME
  return {
    id: AUTH_ORIGINS_ID, name: t, type: 'base', system: true,
    fields: [idField(), text('collectionRef'), text('recordRef'), text('fingerprint'), ...timestampFields()],
    indexes: [`CREATE UNIQUE INDEX idx_authOrigins_unique_pairs ON ${t} (collectionRef, recordRef, fingerprint)`],
    listRule: owner, viewRule: owner, createRule: null, updateRule: null, deleteRule: owner,
    created: formatDate(now), updated: formatDate(now),
  }
}
