// Recognises "the store cannot be written" failures (disk full, read-only, I/O) across SQLite, PostgreSQL and fs.

const SQLITE_UNWRITABLE: Record<string, string> = {
  SQLITE_FULL: 'the disk is full',
  SQLITE_READONLY: 'the database is read-only',
  SQLITE_IOERR: 'the disk reported an I/O error',
  SQLITE_CANTOPEN: 'a database file cannot be opened',
}

/** SQLSTATE class 53 (insufficient resources) and the codes that mean "cannot write here". */
const PG_UNWRITABLE: Record<string, string> = {
  '53100': 'the database server\'s disk is full',
  '53200': 'the database server is out of memory',
  '58030': 'the database server reported an I/O error',
  '25006': 'the database is read-only (a standby?)',
}

const FS_UNWRITABLE: Record<string, string> = {
  ENOSPC: 'the disk is full',
  EDQUOT: 'the disk quota is exhausted',
  EROFS: 'the file system is read-only',
}

/**
 * Why `err` (or an error in its `cause` chain) means the store cannot take writes right now, or null.
 * SQLite extended codes (SQLITE_IOERR_WRITE, SQLITE_READONLY_DBMOVED…) count by their primary code.
 */
export function unwritableReason(err: unknown): string | null {
  for (let e = err, depth = 0; e && typeof e === 'object' && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code
    if (typeof code !== 'string') continue
    if (code.startsWith('SQLITE_')) {
      const primary = Object.keys(SQLITE_UNWRITABLE).find((p) => code === p || code.startsWith(`${p}_`))
      if (primary) return SQLITE_UNWRITABLE[primary]
    }
    if (PG_UNWRITABLE[code]) return PG_UNWRITABLE[code]
    if (FS_UNWRITABLE[code]) return FS_UNWRITABLE[code]
  }
  return null
}
