// The one error shape of the API, `{code, message, request_id}`, and how the UI shows it.
// The server localizes `message` from Accept-Language; the UI only supplies text when there is no body.

/** Error codes made up by the UI for failures that never reached a Quanyi handler. */
export const CLIENT_ERROR_CODES = {
  network: 'QY-UI-0001',
  unexpected: 'QY-UI-0002',
} as const

/** One field at fault in a refused body (SEC-8): its name in the request (`roles[2]` for an element). */
export interface FieldError {
  field: string
  code: string
  message: string
}

export class ApiError extends Error {
  readonly code: string
  readonly requestId: string | null
  /** HTTP status, or 0 when the request never got an answer. */
  readonly status: number
  /** True when `message` came from the server (already localized) rather than from the UI. */
  readonly fromServer: boolean
  /** For a body that failed validation: each field at fault, with its own code and message. */
  readonly fields: readonly FieldError[]
  /** Values the refusal is about (`threshold` in fen for QY-BEN-3005), for the UI's own wording. */
  readonly params: Readonly<Record<string, string>>

  constructor(init: {
    code: string
    message: string
    requestId: string | null
    status: number
    fromServer: boolean
    fields?: readonly FieldError[]
    params?: Readonly<Record<string, string>>
  }) {
    super(init.message)
    this.name = 'ApiError'
    this.code = init.code
    this.requestId = init.requestId
    this.status = init.status
    this.fromServer = init.fromServer
    this.fields = init.fields ?? []
    this.params = init.params ?? {}
  }
}

interface ErrorBody {
  code: string
  message: string
  request_id: string
  fields?: unknown
  params?: unknown
}

/** A body's `params`: its string values only. */
function paramsOf(body: ErrorBody): Record<string, string> {
  if (typeof body.params !== 'object' || body.params === null) return {}
  return Object.fromEntries(Object.entries(body.params as Record<string, unknown>).filter((e): e is [string, string] => typeof e[1] === 'string'))
}

function isFieldError(value: unknown): value is FieldError {
  if (typeof value !== 'object' || value === null) return false
  const f = value as Record<string, unknown>
  return typeof f.field === 'string' && typeof f.code === 'string' && typeof f.message === 'string'
}

/** The well-formed entries of a body's `fields` (anything else is ignored). */
function fieldsOf(body: ErrorBody): FieldError[] {
  return Array.isArray(body.fields) ? body.fields.filter(isFieldError) : []
}

export function isErrorBody(body: unknown): body is ErrorBody {
  if (typeof body !== 'object' || body === null) return false
  const b = body as Record<string, unknown>
  return typeof b.code === 'string' && typeof b.message === 'string' && typeof b.request_id === 'string'
}

/** Turns a failed response (status, parsed body, headers) into an ApiError. */
export function toApiError(status: number, body: unknown, headers?: Headers): ApiError {
  if (isErrorBody(body)) {
    return new ApiError({
      code: body.code,
      message: body.message,
      requestId: body.request_id || null,
      status,
      fromServer: true,
      fields: fieldsOf(body),
      params: paramsOf(body),
    })
  }
  // A proxy's HTML page or an empty body: keep whatever request id the edge gave us.
  return new ApiError({
    code: CLIENT_ERROR_CODES.unexpected,
    message: typeof body === 'string' && body.length > 0 && body.length < 200 ? body : '',
    requestId: headers?.get('x-request-id') ?? null,
    status,
    fromServer: false,
  })
}

/** Any thrown value as an ApiError; fetch's TypeError becomes the network error. */
export function asApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err
  if (err instanceof TypeError) {
    return new ApiError({ code: CLIENT_ERROR_CODES.network, message: '', requestId: null, status: 0, fromServer: false })
  }
  const message = err instanceof Error ? err.message : String(err)
  return new ApiError({ code: CLIENT_ERROR_CODES.unexpected, message, requestId: null, status: 0, fromServer: false })
}

export interface ErrorDisplay {
  code: string
  message: string
  requestId: string | null
}

type Translate = (key: string, named?: Record<string, unknown>) => string

/** What the user reads for an error: the server's message when there is one, else a UI sentence. */
export function describeError(err: unknown, t: Translate): ErrorDisplay {
  const e = asApiError(err)
  let message: string
  if (e.fromServer) message = e.message
  else if (e.code === CLIENT_ERROR_CODES.network) message = t('error.network')
  else message = t('error.unexpected', { status: e.status || '—' })
  return { code: e.code, message, requestId: e.requestId }
}
