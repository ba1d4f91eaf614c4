import { describe, expect, it } from 'vitest'
import { checkSelect, MAX_QUERY_LENGTH } from './select-query.ts'

const ok = (q: string) => { const r = checkSelect(q); return 'query' in r ? r.query : null }

describe('checkSelect', () => {
  it('accepts one SELECT or WITH query and trims trailing semicolons', () => {
    expect(ok('SELECT id FROM posts;  ;\n')).toBe('SELECT id FROM posts')
    expect(ok('  with x as (select 1 as id) select * from x')).toBe('with x as (select 1 as id) select * from x')
    expect(ok("SELECT 'a;b' AS id, \"we;ird\" FROM t -- trailing; comment")).not.toBeNull()
    expect(ok('SELECT /* ; */ id FROM t')).not.toBeNull()
    expect(ok('SELECT $$;$$ AS id')).not.toBeNull()
    expect(ok("SELECT 'it''s' AS id")).not.toBeNull()
  })

  it('refuses chained statements, writes and unterminated literals', () => {
    for (const q of [
      'SELECT 1; DROP TABLE posts', "SELECT ';' AS id; DELETE FROM t", 'DELETE FROM posts', 'PRAGMA table_info(x)',
      'INSERT INTO t VALUES (1)', "SELECT 'open", 'SELECT /* open', 'SELECT $x$ open', '', '   ', "SELECT E'\\'' ; DROP TABLE x; --'",
    ]) expect(ok(q), q).toBeNull()
    expect(checkSelect(42)).toHaveProperty('problem')
    expect(checkSelect('SELECT ' + 'x'.repeat(MAX_QUERY_LENGTH))).toHaveProperty('problem')
  })
})
