// Validation of a whole collection definition before it is saved (names, fields, rules, indexes).
import { fieldError, type ErrorData } from '../errors.ts'
import { validateRule } from '../../rules/index.ts'
import type { SqlDialect } from '../../store/dialects/types.ts'
import { fieldKind, validateFieldName } from './fields/index.ts'
import { parseIndex } from './indexes.ts'
import { FILE_ACCESS_MODES, type Collection, type RuleName, type SchemaLookup } from './types.ts'
import { ErrorCode } from '../error-codes.ts'

const NAME = /^\w+$/
const RULES: RuleName[] = ['listRule', 'viewRule', 'createRule', 'updateRule', 'deleteRule']

/** `dialect`: rules are checked against the engine that will run them (some functions differ). */
export function validateCollection(c: Collection, before: Collection | undefined, schema: SchemaLookup, dialect: SqlDialect): ErrorData {
  const errors: ErrorData = {}
  if (c.name === '') {
    errors.name = fieldError(ErrorCode.required, 'Cannot be blank.')
  } else if (!NAME.test(c.name) || c.name.length > 255 || c.name.includes('_via_')) {
    errors.name = fieldError(ErrorCode.matchInvalid, 'Invalid collection name.')
  } else {
    const clash = schema.find(c.name)
    // A new collection's generated id equals the existing one's when the name repeats, so compare ids only on update.
    if (clash && (!before || clash.id !== c.id)) errors.name = fieldError(ErrorCode.collectionNameExists, 'Collection name must be unique (case insensitive).')
    if (!before && /^_/.test(c.name) && !c.system) errors.name = fieldError(ErrorCode.matchInvalid, 'Collection names starting with _ are reserved.')
  }
  if (!/^\w+$/.test(c.id) || c.id.length > 100) errors.id = fieldError(ErrorCode.matchInvalid, 'Invalid collection id.')
  if (before && before.type !== c.type) errors.type = fieldError(ErrorCode.collectionTypeChange, 'Collection type cannot be changed.')
  if (before?.system && before.name !== c.name) errors.name = fieldError(ErrorCode.systemCollectionNameChange, 'System collection name cannot be changed.')

  const fieldErrors = validateFields(c, before, schema)
  if (Object.keys(fieldErrors).length) errors.fields = fieldErrors

  // Rules are checked against the collection as it will be (so new fields can be referenced).
  const lookup: SchemaLookup = {
    find: (idOrName) => (idOrName === c.id || idOrName.toLowerCase() === c.name.toLowerCase() ? c : schema.find(idOrName)),
    all: () => [...schema.all().filter((x) => x.id !== c.id), c],
  }
  const ruleEntries: [string, string | null][] = RULES.map((r) => [r, c[r]])
  if (c.auth) ruleEntries.push(['authRule', c.auth.authRule], ['manageRule', c.auth.manageRule])
  if (c.fileAccess !== undefined && !FILE_ACCESS_MODES.includes(c.fileAccess)) {
    errors.fileAccess = fieldError(ErrorCode.inInvalid, 'Must be "public" or "viewRule".')
  }
  if (c.auth?.manageRule === '') errors.manageRule = fieldError(ErrorCode.invalidRule, 'The manage rule must be null or a non-empty expression.')
  for (const [key, rule] of ruleEntries) {
    if (rule === null || rule === '') continue
    if (typeof rule !== 'string') { errors[key] = fieldError(ErrorCode.invalidRule, 'Invalid rule.'); continue }
    const problem = validateRule(rule, lookup, c, dialect)
    if (problem) errors[key] = fieldError(ErrorCode.invalidRule, `Invalid rule. ${problem}`)
  }

  const indexErrors: ErrorData = {}
  const seen = new Set<string>()
  c.indexes.forEach((text, i) => {
    const def = parseIndex(text)
    if (typeof def === 'string') { indexErrors[i] = fieldError(ErrorCode.invalidIndexExpression, def); return }
    if (seen.has(def.name.toLowerCase())) indexErrors[i] = fieldError(ErrorCode.duplicatedIndexName, 'Duplicated index name.')
    seen.add(def.name.toLowerCase())
    const other = schema.all().find((o) => o.id !== c.id && o.indexes.some((t) => { const d = parseIndex(t); return typeof d !== 'string' && d.name.toLowerCase() === def.name.toLowerCase() }))
    if (other) indexErrors[i] = fieldError(ErrorCode.existingIndexName, 'Index name is already used by another collection.')
    for (const col of def.columns) {
      if (!c.fields.some((f) => f.name === col.name)) indexErrors[i] = fieldError(ErrorCode.invalidIndexColumn, `Unknown index column ${col.name}.`)
    }
  })
  if (Object.keys(indexErrors).length) errors.indexes = indexErrors
  return errors
}

function validateFields(c: Collection, before: Collection | undefined, schema: SchemaLookup): ErrorData {
  const errors: ErrorData = {}
  const names = new Set<string>()
  const ids = new Set<string>()
  c.fields.forEach((f, i) => {
    const e: ErrorData = {}
    const kind = fieldKind(f.type)
    if (!kind) { errors[i] = { type: fieldError(ErrorCode.invalidValue, 'Unknown field type.') }; return }
    const nameErr = validateFieldName(f.name, c.type === 'auth')
    if (nameErr) e.name = nameErr
    if (names.has(f.name.toLowerCase())) e.name = fieldError(ErrorCode.duplicatedFieldName, 'Duplicated field name.')
    if (ids.has(f.id)) e.id = fieldError(ErrorCode.duplicatedFieldId, 'Duplicated field id.')
    names.add(f.name.toLowerCase())
    ids.add(f.id)
    const prev = before?.fields.find((p) => p.id === f.id)
    if (prev && prev.type !== f.type) e.type = fieldError(ErrorCode.fieldTypeChange, 'Field type cannot be changed.')
    if (prev?.system && prev.name !== f.name) e.name = fieldError(ErrorCode.systemFieldChange, 'System fields cannot be renamed.')
    Object.assign(e, kind.validateOptions(f as never, schema))
    if (Object.keys(e).length) errors[i] = e
  })
  for (const prev of before?.fields ?? []) {
    if (prev.system && !c.fields.some((f) => f.id === prev.id)) {
      errors.system = fieldError(ErrorCode.systemFieldRemoved, `System field ${prev.name} cannot be removed.`)
    }
  }
  return errors
}
