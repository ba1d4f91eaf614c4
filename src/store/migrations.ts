// Basalt's own bookkeeping tables (collections, params), created idempotently under a migration lock.
import type { SqlDialect } from './dialects/types.ts'
import { POSTGRES_HELPERS } from './dialects/postgres.ts'
import { sql } from './sql.ts'
import type { Executor } from './types.ts'
import { migrateOutboxTables } from '../events/outbox.ts'
import { migrateBackgroundTables } from '../jobs/schema.ts'
import { migrateExternalAuthEmails } from '../auth/oauth2/external-auths.ts'

/** Bumped whenever the bookkeeping schema changes; stored in `_params`. */
export const SCHEMA_VERSION = 1
const MIGRATION_LOCK_KEY = 4_220_909 // arbitrary, constant: one advisory lock for all Basalt migrations

/**
 * Takes the cluster-wide migration lock for the rest of the transaction: on PostgreSQL an advisory
 * lock, so nodes starting together migrate one after the other; on SQLite `BEGIN IMMEDIATE` already
 * serializes writers.
 */
export async function takeMigrationLock(tx: Executor, dialect: SqlDialect): Promise<void> {
  if (dialect.name === 'postgres') await tx.get(sql`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK_KEY}) AS "locked"`)
}

export async function migrateSystemTables(tx: Executor, dialect: SqlDialect): Promise<void> {
  await takeMigrationLock(tx, dialect)
  if (dialect.name === 'postgres') await tx.exec(POSTGRES_HELPERS)
  await tx.exec(`CREATE TABLE IF NOT EXISTS "_collections" (
    "id" TEXT PRIMARY KEY NOT NULL,
    "system" SMALLINT DEFAULT 0 NOT NULL,
    "type" TEXT DEFAULT 'base' NOT NULL,
    "name" TEXT NOT NULL,
    "fields" TEXT DEFAULT '[]' NOT NULL,
    "indexes" TEXT DEFAULT '[]' NOT NULL,
    "listRule" TEXT DEFAULT NULL,
    "viewRule" TEXT DEFAULT NULL,
    "createRule" TEXT DEFAULT NULL,
    "updateRule" TEXT DEFAULT NULL,
    "deleteRule" TEXT DEFAULT NULL,
    "options" TEXT DEFAULT '{}' NOT NULL,
    "created" TEXT DEFAULT '' NOT NULL,
    "updated" TEXT DEFAULT '' NOT NULL
  )`)
  await tx.exec(`CREATE UNIQUE INDEX IF NOT EXISTS "_collections_name_idx" ON "_collections" (${dialect.nocaseIndexColumn('"name"')})`)
  await tx.exec(`CREATE TABLE IF NOT EXISTS "_params" (
    "id" TEXT PRIMARY KEY NOT NULL,
    "value" TEXT DEFAULT NULL,
    "created" TEXT DEFAULT '' NOT NULL,
    "updated" TEXT DEFAULT '' NOT NULL
  )`)
  await migrateAuthFactorTables(tx)
  await migrateSessionTables(tx)
  await migrateAuditTable(tx)
  await migrateOutboxTables(tx, dialect)
  await migrateBackgroundTables(tx, dialect)
  await migrateExternalAuthEmails(tx)
  const version = JSON.stringify(SCHEMA_VERSION)
  const row = await tx.get<{ value: string }>(sql`SELECT "value" FROM "_params" WHERE "id" = 'schema_version'`)
  if (!row) await tx.run(sql`INSERT INTO "_params" ("id", "value") VALUES ('schema_version', ${version})`)
  else if (Number(JSON.parse(row.value)) > SCHEMA_VERSION) {
    throw new Error(`the database schema (version ${row.value}) is newer than this Basalt (version ${SCHEMA_VERSION}); upgrade Basalt`)
  }
}

/**
 * One-time passwords, pending MFA sessions and TOTP enrollments (src/auth/otp.ts, mfa.ts, totp-service.ts).
 * Plain tables, not collections: no record API can ever list them, so hashes and TOTP secrets stay server-side.
 * Additive and idempotent, so older Basalt versions keep working against the same database.
 */
async function migrateAuthFactorTables(tx: Executor): Promise<void> {
  await tx.exec(`CREATE TABLE IF NOT EXISTS "_otps" (
    "id" TEXT PRIMARY KEY NOT NULL,
    "collectionRef" TEXT NOT NULL,
    "recordRef" TEXT NOT NULL,
    "password" TEXT NOT NULL,
    "sentTo" TEXT DEFAULT '' NOT NULL,
    "attempts" INTEGER DEFAULT 0 NOT NULL,
    "lastAttempt" TEXT DEFAULT '' NOT NULL,
    "created" TEXT DEFAULT '' NOT NULL,
    "updated" TEXT DEFAULT '' NOT NULL
  )`)
  await tx.exec(`CREATE INDEX IF NOT EXISTS "_otps_record_idx" ON "_otps" ("collectionRef", "recordRef")`)
  await tx.exec(`CREATE TABLE IF NOT EXISTS "_mfas" (
    "id" TEXT PRIMARY KEY NOT NULL,
    "collectionRef" TEXT NOT NULL,
    "recordRef" TEXT NOT NULL,
    "method" TEXT NOT NULL,
    "created" TEXT DEFAULT '' NOT NULL,
    "updated" TEXT DEFAULT '' NOT NULL
  )`)
  await tx.exec(`CREATE INDEX IF NOT EXISTS "_mfas_record_idx" ON "_mfas" ("collectionRef", "recordRef")`)
  await tx.exec(`CREATE TABLE IF NOT EXISTS "_totp" (
    "id" TEXT PRIMARY KEY NOT NULL,
    "collectionRef" TEXT NOT NULL,
    "recordRef" TEXT NOT NULL,
    "secret" TEXT NOT NULL,
    "active" SMALLINT DEFAULT 0 NOT NULL,
    "recoveryCodes" TEXT DEFAULT '[]' NOT NULL,
    "lastStep" INTEGER DEFAULT 0 NOT NULL,
    "failures" INTEGER DEFAULT 0 NOT NULL,
    "lastFailure" TEXT DEFAULT '' NOT NULL,
    "created" TEXT DEFAULT '' NOT NULL,
    "updated" TEXT DEFAULT '' NOT NULL
  )`)
  await tx.exec(`CREATE UNIQUE INDEX IF NOT EXISTS "_totp_record_idx" ON "_totp" ("collectionRef", "recordRef")`)
}

/**
 * Cookie sessions (src/auth/sessions.ts, docs/sessions.md). A family is one login; its refresh tokens
 * rotate, stored only as SHA-256 hashes (`_sessions.id`). Access tokens carry the family id, so the
 * per-request check is a primary-key lookup. Additive and idempotent like the tables above.
 */
async function migrateSessionTables(tx: Executor): Promise<void> {
  await tx.exec(`CREATE TABLE IF NOT EXISTS "_sessionFamilies" (
    "id" TEXT PRIMARY KEY NOT NULL,
    "collectionRef" TEXT NOT NULL,
    "recordRef" TEXT NOT NULL,
    "keyHash" TEXT NOT NULL,
    "revoked" SMALLINT DEFAULT 0 NOT NULL,
    "expires" TEXT NOT NULL,
    "created" TEXT DEFAULT '' NOT NULL,
    "updated" TEXT DEFAULT '' NOT NULL
  )`)
  await tx.exec(`CREATE INDEX IF NOT EXISTS "_sessionFamilies_record_idx" ON "_sessionFamilies" ("collectionRef", "recordRef")`)
  await tx.exec(`CREATE TABLE IF NOT EXISTS "_sessions" (
    "id" TEXT PRIMARY KEY NOT NULL,
    "familyRef" TEXT NOT NULL,
    "used" SMALLINT DEFAULT 0 NOT NULL,
    "expires" TEXT NOT NULL,
    "created" TEXT DEFAULT '' NOT NULL,
    "updated" TEXT DEFAULT '' NOT NULL
  )`)
  await tx.exec(`CREATE INDEX IF NOT EXISTS "_sessions_family_idx" ON "_sessions" ("familyRef")`)
}

/**
 * Security audit trail (src/auth/audit.ts): privileged actions such as impersonation. Insert-only and not a
 * collection, so no record API (nor the impersonated session) can read or rewrite it. Additive, idempotent.
 */
async function migrateAuditTable(tx: Executor): Promise<void> {
  await tx.exec(`CREATE TABLE IF NOT EXISTS "_audit" (
    "id" TEXT PRIMARY KEY NOT NULL,
    "created" TEXT DEFAULT '' NOT NULL,
    "action" TEXT NOT NULL,
    "actorCollection" TEXT DEFAULT '' NOT NULL,
    "actorId" TEXT DEFAULT '' NOT NULL,
    "targetCollection" TEXT DEFAULT '' NOT NULL,
    "targetId" TEXT DEFAULT '' NOT NULL,
    "ip" TEXT DEFAULT '' NOT NULL
  )`)
  await tx.exec(`CREATE INDEX IF NOT EXISTS "_audit_created_idx" ON "_audit" ("created")`)
}
