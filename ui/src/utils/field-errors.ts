// Server field errors (SEC-8) → the form items they belong under. A 422 may name several fields at once
// (`fields: [{field, code, message}]`, `field` as in the request body, `roles[2]` for an element); a form
// maps the body's names to its own (`display_name` → `displayName`) and shows each message through the
// el-form-item `error` prop. Older answers name no fields, only a code; `byCode` places those.
import { asApiError, type FieldError } from '@/api/error'

export interface FieldErrorPlacement<Field extends string> {
  /** The message to show under each form field (the first one the server gave for it). */
  errors: Partial<Record<Field, string>>
  /** Field errors no form field takes: show them as a message. */
  unplaced: FieldError[]
}

/** `roles[2]` → `roles`, `address.city` → `address.city`: the body's top-level name, without the index. */
export function baseFieldName(field: string): string {
  return field.replace(/\[\d+\]/g, '')
}

/**
 * Where the field errors of `err` go: `names` maps the request body's field names to the form's. When the
 * answer names no field, `byCode` may still place its code (e.g. QY-SYS-1002 "taken" under the username).
 */
export function placeFieldErrors<Field extends string>(
  err: unknown,
  names: Readonly<Record<string, Field>>,
  byCode: (code: string) => Field | undefined = () => undefined,
): FieldErrorPlacement<Field> {
  const e = asApiError(err)
  const errors: Partial<Record<Field, string>> = {}
  const unplaced: FieldError[] = []
  if (!e.fromServer) return { errors, unplaced }
  for (const f of e.fields) {
    const name = baseFieldName(f.field)
    const field = Object.prototype.hasOwnProperty.call(names, name) ? names[name] : undefined
    if (!field) unplaced.push(f)
    else if (!errors[field]) errors[field] = f.message
  }
  if (e.fields.length === 0) {
    const field = byCode(e.code)
    if (field) errors[field] = e.message
  }
  return { errors, unplaced }
}

/** True when `placement` put at least one message under a field. */
export function placedAny<Field extends string>(placement: FieldErrorPlacement<Field>): boolean {
  return Object.values(placement.errors).some(Boolean)
}

/**
 * The field errors of the rows of list `list` (`levels[1].sla_minutes` → row 1, `sla_minutes`), by row
 * index and then by the row's own field name, the first message of each; for forms whose rows are table
 * cells rather than form items.
 */
export function rowFieldErrors(fields: readonly { field: string; message: string }[], list: string): Map<number, Record<string, string>> {
  const out = new Map<number, Record<string, string>>()
  const prefix = `${list}[`
  for (const f of fields) {
    if (!f.field.startsWith(prefix)) continue
    const m = /^\[(\d+)\]\.(.+)$/.exec(f.field.slice(list.length))
    if (!m) continue
    const index = Number(m[1])
    const row = out.get(index) ?? {}
    const name = m[2] ?? ''
    if (!row[name]) row[name] = f.message
    out.set(index, row)
  }
  return out
}
