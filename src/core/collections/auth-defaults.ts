// Default auth options and the system fields every auth collection carries.
import { randomString } from '../ids.ts'
import type { AuthOptions, CookieSessionOptions, EmailTemplate, Field } from './types.ts'
import { defaultFieldId, fieldKind } from './fields/index.ts'

const template = (subject: string, body: string): EmailTemplate => ({ subject, body })

export function defaultAuthOptions(): AuthOptions {
  const secret = () => randomString(50)
  return {
    authRule: '',
    manageRule: null,
    passwordAuth: { enabled: true, identityFields: ['email'] },
    oauth2: { enabled: false, mappedFields: { id: '', name: '', username: '', avatarURL: '' }, providers: [] },
    mfa: { enabled: false, duration: 1800, rule: '' },
    otp: {
      enabled: false, duration: 180, length: 8,
      emailTemplate: template('OTP for {APP_NAME}', '<p>Your one-time password is: <strong>{OTP}</strong></p>'),
    },
    authAlert: {
      enabled: true,
      emailTemplate: template('Login from a new location',
        '<p>Hello,</p><p>We noticed a login to your {APP_NAME} account from a new location: {ALERT_INFO}.</p>' +
        '<p>If this was you, you may disregard this email.</p>' +
        "<p><strong>If this wasn't you, you should immediately change your {APP_NAME} account password to revoke access from all other locations.</strong></p>"),
    },
    authToken: { duration: 604800, secret: secret() },
    passwordResetToken: { duration: 1800, secret: secret() },
    emailChangeToken: { duration: 1800, secret: secret() },
    verificationToken: { duration: 259200, secret: secret() },
    fileToken: { duration: 180, secret: secret() },
    verificationTemplate: template('Verify your {APP_NAME} email', '<p>Click to verify: {APP_URL}/_/#/auth/confirm-verification/{TOKEN}</p>'),
    resetPasswordTemplate: template('Reset your {APP_NAME} password', '<p>Click to reset: {APP_URL}/_/#/auth/confirm-password-reset/{TOKEN}</p>'),
    confirmEmailChangeTemplate: template('Confirm your {APP_NAME} new email address', '<p>Click to confirm: {APP_URL}/_/#/auth/confirm-email-change/{TOKEN}</p>'),
    cookieSessions: defaultCookieSessionOptions(),
  }
}

/** Off by default (opt-in per collection); 15 min access, 7 days idle, 30 days absolute. */
export function defaultCookieSessionOptions(): CookieSessionOptions {
  return { enabled: false, secure: true, accessDuration: 900, refreshDuration: 604800, maxDuration: 2592000 }
}

/** Builds a field with defaults and the PocketBase-style id. */
export function makeField(type: Field['type'], name: string, options: Record<string, unknown> = {}): Field {
  const kind = fieldKind(type)!
  return kind.withDefaults({ id: defaultFieldId(type, name), name, ...options } as never) as Field
}

export function idField(): Field {
  return makeField('text', 'id', {
    system: true, required: true, primaryKey: true, min: 15, max: 15,
    pattern: '^[a-z0-9]+$', autogeneratePattern: '[a-z0-9]{15}',
  })
}

export function timestampFields(): Field[] {
  return [
    makeField('autodate', 'created', { onCreate: true, onUpdate: false }),
    makeField('autodate', 'updated', { onCreate: true, onUpdate: true }),
  ]
}

/** The system fields of an auth collection, in PocketBase's order. */
export function authSystemFields(): Field[] {
  return [
    makeField('password', 'password', { system: true, hidden: true, required: true, min: 8 }),
    makeField('text', 'tokenKey', {
      system: true, hidden: true, required: true, min: 30, max: 60, autogeneratePattern: '[a-zA-Z0-9]{50}',
    }),
    makeField('email', 'email', { system: true, required: true }),
    makeField('bool', 'emailVisibility', { system: true }),
    makeField('bool', 'verified', { system: true }),
  ]
}

export const AUTH_SYSTEM_FIELD_NAMES = ['password', 'tokenKey', 'email', 'emailVisibility', 'verified'] as const
