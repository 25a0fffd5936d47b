// Step one of the list parameter language: the object `qs` made of the query string (or GET body)
// → a syntactic ListQuery. Pure. Every problem is reported under the parameter's own bracketed name,
// and all of them at once, so a caller fixes a request in one go.
import { ParameterErrors } from '../errors.ts'
import { JSON_KEY, JSON_KEY_RULE, OPERATORS, type Catalogue, type Op, type Operator } from './catalogue.ts'

export interface RawCondition {
  /** The parameter as the caller wrote it, for messages: `updated_at[gt]`. */
  readonly param: string
  readonly field: string
  /** For json_key fields (`extensions[location]`): the key. */
  readonly key?: string
  readonly op: Op
  /** One value, or several for in / nin / all. */
  readonly values: readonly string[]
}

export interface ListQuery {
  readonly conditions: readonly RawCondition[]
  readonly sort: { readonly field: string; readonly direction: 'asc' | 'desc'; readonly param: string } | null
  readonly limit: string | null
  readonly skip: string | null
  readonly count: string | null
}

const CONTROL = ['limit', 'skip', 'count', 'sort_asc', 'sort_desc'] as const
const LIST_OPS: ReadonlySet<Op> = new Set(['in', 'nin', 'all'])
const isOperator = (s: string): s is Operator => (OPERATORS as readonly string[]).includes(s)
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

export function parseListQuery(raw: Record<string, unknown>, catalogue: Catalogue): ListQuery {
  const errors = new ParameterErrors()
  const conditions: RawCondition[] = []
  const control: Partial<Record<(typeof CONTROL)[number], string>> = {}

  for (const [name, value] of Object.entries(raw)) {
    if ((CONTROL as readonly string[]).includes(name)) {
      if (typeof value === 'string') control[name as (typeof CONTROL)[number]] = value
      else errors.add(name, Array.isArray(value) ? 'given more than once' : 'expected a single value, not a bracketed parameter')
      continue
    }
    // Own keys only: `constructor` or `toString` is an unknown parameter, not Object.prototype's.
    const field = Object.hasOwn(catalogue.fields, name) ? catalogue.fields[name] : undefined
    if (!field) {
      errors.add(name, `unknown parameter; accepted: ${[...Object.keys(catalogue.fields), ...CONTROL].join(', ')}`)
      continue
    }
    if (field.kind === 'json_key') {
      if (!isRecord(value) || Object.keys(value).length === 0) {
        errors.add(name, `give a key: ${name}[key]=value`)
        continue
      }
      for (const [key, inner] of Object.entries(value)) {
        if (!JSON_KEY.test(key)) errors.add(`${name}[${key}]`, JSON_KEY_RULE)
        else readField(`${name}[${key}]`, name, key, inner)
      }
      continue
    }
    readField(name, name, undefined, value)
  }

  function readField(param: string, field: string, key: string | undefined, value: unknown): void {
    if (typeof value === 'string') {
      conditions.push({ param, field, key, op: 'eq', values: [value] })
      return
    }
    if (Array.isArray(value)) {
      errors.add(param, 'given more than once; use in / nin for several values, or operators for a range')
      return
    }
    if (!isRecord(value)) {
      errors.add(param, 'expected a value')
      return
    }
    for (const [op, operand] of Object.entries(value)) {
      const opParam = `${param}[${op}]`
      if (!isOperator(op)) {
        errors.add(opParam, `unknown operator '${op}'; accepted: ${OPERATORS.join(', ')}`)
        continue
      }
      const values = operandValues(opParam, op, operand)
      if (values) conditions.push({ param: opParam, field, key, op, values })
    }
  }

  function operandValues(param: string, op: Operator, operand: unknown): string[] | null {
    if (typeof operand === 'string') return LIST_OPS.has(op) ? operand.split(',') : [operand]
    if (Array.isArray(operand) && LIST_OPS.has(op) && operand.every((v) => typeof v === 'string')) return operand
    errors.add(param, LIST_OPS.has(op) ? 'expected a comma-separated list of values' : 'expected a single value')
    return null
  }

  if (control.sort_asc !== undefined && control.sort_desc !== undefined) {
    errors.add('sort_asc', 'give either sort_asc or sort_desc, not both')
  }
  errors.throwIfAny()

  const sortParam = control.sort_asc !== undefined ? 'sort_asc' : control.sort_desc !== undefined ? 'sort_desc' : null
  return {
    conditions,
    sort:
      sortParam === null
        ? null
        : { field: control[sortParam] as string, direction: sortParam === 'sort_asc' ? 'asc' : 'desc', param: sortParam },
    limit: control.limit ?? null,
    skip: control.skip ?? null,
    count: control.count ?? null,
  }
}
