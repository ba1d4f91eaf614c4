// Runs the job queue contract on SQLite and (when it answers) PostgreSQL.
import { jobQueueContract } from './job-queue.contract.ts'
import { probe } from '../support/services.ts'
import { createTestDatabase } from '../support/server.ts'

const postgresUp = probe('postgres')
if (!postgresUp) console.warn('SKIP postgres: no PostgreSQL answered; the job queue contract runs on SQLite only.')

jobQueueContract({ name: 'sqlite', available: true, databaseUrl: async () => ({ url: null, drop: async () => {} }) })
jobQueueContract({ name: 'postgres', available: postgresUp, databaseUrl: () => createTestDatabase() })
