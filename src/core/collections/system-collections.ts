// The collections every Basalt database starts with: `_superusers` and the default `users`.
import { formatDate } from '../clock.ts'
import { authSystemFields, defaultAuthOptions, idField, makeField, timestampFields } from './auth-defaults.ts'
import { SUPERUSERS_ID, SUPERUSERS_NAME, USERS_ID, type Collection } from './types.ts'

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

export function usersCollection(now: Date): Collection {
  const auth = defaultAuthOptions()
  auth.oauth2.mappedFields = { id: '', name: 'name', username: '', avatarURL: 'avatar' }
  const owner = 'id = @request.auth.id'
  return {
    id: USERS_ID, name: 'users', type: 'auth', system: false,
    fields: [
      idField(), ...authSystemFields(),
      makeField('text', 'name', { max: 255 }),
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
