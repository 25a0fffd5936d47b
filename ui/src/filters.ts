// The filter forms of the two views, as data: each input and the list parameter it becomes. Dates
// are UTC days picked on a calendar: "from" is created_at[gte] at that midnight, "to" is the whole
// day, created_at[lt] at the next midnight.
import type { Params, Resource } from './api.ts'

export type Kind = 'text' | 'int' | 'date-from' | 'date-to' | 'select'

export interface FilterField {
  readonly name: string
  readonly label: string
  /** The list parameter: `sender_id`, `name[ctn]`, `created_at` (with a date kind). */
  readonly param: string
  readonly kind: Kind
  readonly options?: ReadonlyArray<readonly [string, string]>
  readonly placeholder?: string
}

const dates = (field: string, label: string): FilterField[] => [
  { name: `${field}_from`, label: `${label} from (UTC)`, param: field, kind: 'date-from' },
  { name: `${field}_to`, label: `${label} to (UTC)`, param: field, kind: 'date-to' },
]
const ids: FilterField[] = [
  { name: 'id_after', label: '_id after', param: '_id[gt]', kind: 'text', placeholder: 'ObjectId' },
  { name: 'id_before', label: '_id before', param: '_id[lt]', kind: 'text', placeholder: 'ObjectId' },
]

export const FIELDS: Record<Resource, FilterField[]> = {
  dialogs: [
    { name: 'type', label: 'Type', param: 'type', kind: 'select', options: [['', 'any'], ['1', '1 broadcast'], ['2', '2 group'], ['3', '3 private'], ['4', '4 public']] },
    { name: 'name', label: 'Name contains', param: 'name[ctn]', kind: 'text' },
    { name: 'occupant', label: 'Occupant (user id)', param: 'occupants_ids', kind: 'int' },
    { name: 'owner', label: 'Owner (user id)', param: 'user_id', kind: 'int' },
    ...dates('created_at', 'Created'),
    ...dates('updated_at', 'Updated'),
    ...ids,
  ],
  messages: [
    { name: 'dialog', label: 'Dialog _id', param: 'chat_dialog_id', kind: 'text', placeholder: 'ObjectId' },
    { name: 'sender', label: 'Sender (user id)', param: 'sender_id', kind: 'int' },
    { name: 'text', label: 'Text contains', param: 'message[ctn]', kind: 'text' },
    {
      name: 'attachment',
      label: 'Attachment type',
      param: 'attachments.type',
      kind: 'select',
      options: [['', 'any'], ['image', 'image'], ['video', 'video'], ['audio', 'audio'], ['file', 'file']],
    },
    ...dates('created_at', 'Created'),
    ...dates('updated_at', 'Updated'),
    ...ids,
  ],
}

export type FormValues = Record<string, string>

/** YYYY-MM-DD (UTC) → unix seconds at its midnight. */
export const daySeconds = (day: string): number => Date.parse(`${day}T00:00:00Z`) / 1000

/** The form's values as list parameters; empty inputs are left out. */
export function filterParams(resource: Resource, values: FormValues): Params {
  const params: Params = {}
  for (const field of FIELDS[resource]) {
    const value = (values[field.name] ?? '').trim()
    if (value === '') continue
    if (field.kind === 'date-from') params[`${field.param}[gte]`] = String(daySeconds(value))
    else if (field.kind === 'date-to') params[`${field.param}[lt]`] = String(daySeconds(value) + 86_400)
    else params[field.param] = value
  }
  return params
}
