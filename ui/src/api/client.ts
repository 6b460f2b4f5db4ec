// The typed HTTP client (openapi-fetch over the generated schema.d.ts). Every request carries the CSRF
// header and the UI language. Failed answers that concern the session are routed here, by error code,
// so that no page has to know about them (SEC-1/2/3):
//   QY-AUTH-0004 re-authentication required (idle) and QY-AUTH-0011 step-up required (a critical operation
//                more than a few minutes after the last password entry) → one dialog however many calls
//                failed, then each call is retried once, transparently for its caller;
//   QY-AUTH-0009 password must be changed first → the change-password page;
//   QY-AUTH-0012 the second factor is owed → the login page's code step;
//   QY-AUTH-0013 a role requires a second factor the user has not enrolled → the enrolment page;
//   QY-AUTH-0014 a wrong code is the caller's to show, never a sign-out;
//   QY-AUTH-0001/0005/0010 (any other 401 too) → the login page, with the server's message;
//   QY-MER-0001 the user's merchant is disabled (停用) → the login page too, with the server's message.
import createClient, { type Client, type Middleware } from 'openapi-fetch'
import { isErrorBody, toApiError, type ApiError } from './error'
import type { paths } from './schema'

/** The server refuses state-changing /api/v1 requests without this header (CSRF defence). */
export const CSRF_HEADER = 'X-Requested-With'
export const CSRF_VALUE = 'quanyi'

export const CAPTCHA_PATH = '/api/v1/auth/captcha'
export const LOGIN_PATH = '/api/v1/auth/login'
export const LOGOUT_PATH = '/api/v1/auth/logout'
export const SESSION_PATH = '/api/v1/auth/me'
export const PASSWORD_PATH = '/api/v1/auth/password'
export const REAUTH_PATH = '/api/v1/auth/reauth'
export const TOTP_VERIFY_PATH = '/api/v1/auth/totp/verify'

/** The error codes the UI acts on (the catalogue is the server's `docs/errors.md`). */
export const AUTH_CODES = {
  notSignedIn: 'QY-AUTH-0001',
  badCredentials: 'QY-AUTH-0002',
  reauthRequired: 'QY-AUTH-0004',
  signedInElsewhere: 'QY-AUTH-0005',
  captchaWrong: 'QY-AUTH-0006',
  locked: 'QY-AUTH-0007',
  tooManyAttempts: 'QY-AUTH-0008',
  mustChangePassword: 'QY-AUTH-0009',
  sessionTooLong: 'QY-AUTH-0010',
  stepUpRequired: 'QY-AUTH-0011',
  secondFactorRequired: 'QY-AUTH-0012',
  enrolmentRequired: 'QY-AUTH-0013',
  wrongTotpCode: 'QY-AUTH-0014',
  totpAlreadyEnabled: 'QY-AUTH-0015',
  totpNotEnrolling: 'QY-AUTH-0016',
  totpRequiredByRole: 'QY-AUTH-0017',
  merchantDisabled: 'QY-MER-0001',
} as const

/** Calls whose failures their own screens handle (login form and its code step, re-auth dialog, sign out). */
const SELF_HANDLED = new Set([CAPTCHA_PATH, LOGIN_PATH, LOGOUT_PATH, REAUTH_PATH, TOTP_VERIFY_PATH])

export type AuthAction = 'reauth' | 'change-password' | 'second-factor' | 'enrol' | 'signed-out'

/** Why the password is asked for again: the session went idle (0004) or the operation needs it (0011). */
export type ReauthReason = 'idle' | 'step-up'

/** The reason behind a 'reauth' action, read off the error body (0011 → step-up, else idle). */
export function reauthReasonFor(body: unknown): ReauthReason {
  return isErrorBody(body) && body.code === AUTH_CODES.stepUpRequired ? 'step-up' : 'idle'
}

/**
 * What a failed answer means for the session, or null when the caller should simply see the error.
 * The session probe is special: its plain 401 (QY-AUTH-0001) is how the route guard learns there is
 * no session, so only a session that *ended* (0005, 0010) or went idle (0004) is acted on there.
 */
export function authActionFor(path: string, status: number, body: unknown): AuthAction | null {
  if (status < 400 || SELF_HANDLED.has(path)) return null
  const code = isErrorBody(body) ? body.code : null
  if (code === AUTH_CODES.reauthRequired || code === AUTH_CODES.stepUpRequired) return 'reauth'
  // a disabled merchant's user is served nothing until it is enabled again
  if (code === AUTH_CODES.merchantDisabled) return 'signed-out'
  if (path === SESSION_PATH) {
    return code === AUTH_CODES.signedInElsewhere || code === AUTH_CODES.sessionTooLong ? 'signed-out' : null
  }
  if (code === AUTH_CODES.mustChangePassword) return 'change-password'
  if (code === AUTH_CODES.secondFactorRequired) return 'second-factor'
  if (code === AUTH_CODES.enrolmentRequired) return 'enrol'
  // A wrong code (enrolment confirmation) is the form's to show; the session is fine.
  if (code === AUTH_CODES.wrongTotpCode) return null
  if (status !== 401) return null
  // A 401 is about the session unless it carries another area's code (e.g. a QY-PWD-… of the password
  // change), which stays with the caller.
  return code === null || code.startsWith('QY-AUTH-') ? 'signed-out' : null
}

export interface ClientHooks {
  /** The language to send as Accept-Language (`zh-CN` or `en`). */
  language: () => string
  /**
   * Asks the user to confirm their password (QY-AUTH-0004 idle, QY-AUTH-0011 step-up) and resolves true
   * once the server took it, false when the user gave up or the account is locked. Concurrent callers
   * must share one dialog. `sentAt` (Date.now() when the failed request left) lets a request that raced
   * a confirmation be retried without asking again; `reason` chooses the dialog's wording.
   */
  reauthenticate: (sentAt: number, reason: ReauthReason) => Promise<boolean>
  /** The session is over (QY-AUTH-0001/0005/0010): back to the login page with the server's message. */
  onSignedOut: (error: ApiError, path: string) => void
  /** QY-AUTH-0009: the change-password page, and nothing else, until it is done. */
  onPasswordChangeRequired: (error: ApiError) => void
  /** QY-AUTH-0012: the session still owes the second factor → the login page's code step. */
  onSecondFactorRequired: (error: ApiError) => void
  /** QY-AUTH-0013: a role requires a second factor → the enrolment page, and nothing else, until it is done. */
  onEnrolmentRequired: (error: ApiError) => void
}

const defaultHooks: ClientHooks = {
  language: () => 'zh-CN',
  reauthenticate: () => Promise.resolve(false),
  onSignedOut: () => {},
  onPasswordChangeRequired: () => {},
  onSecondFactorRequired: () => {},
  onEnrolmentRequired: () => {},
}

const hooks: ClientHooks = { ...defaultHooks }

export function configureClient(next: Partial<ClientHooks>): void {
  Object.assign(hooks, next)
}

/** Test helper: back to the hooks of a client nobody configured. */
export function resetClientHooks(): void {
  Object.assign(hooks, defaultHooks)
}

/** Ends the session from outside the client (the re-auth dialog on a locked account). */
export function endSession(error: ApiError, path = ''): void {
  hooks.onSignedOut(error, path)
}

function pathOf(url: string): string {
  try {
    return new URL(url, 'http://localhost').pathname
  } catch {
    return url
  }
}

async function bodyOf(response: Response): Promise<unknown> {
  try {
    return await response.clone().json()
  } catch {
    return null
  }
}

function dispatch(action: AuthAction, path: string, response: Response, body: unknown): void {
  const error = toApiError(response.status, body, response.headers)
  if (action === 'signed-out') hooks.onSignedOut(error, path)
  else if (action === 'change-password') hooks.onPasswordChangeRequired(error)
  else if (action === 'second-factor') hooks.onSecondFactorRequired(error)
  else if (action === 'enrol') hooks.onEnrolmentRequired(error)
}

function authMiddleware(fetchFn: (request: Request) => Promise<Response>): Middleware {
  /** A copy of each request in flight (the body of the original is spent by fetch), for the retry. */
  const inFlight = new Map<string, { copy: Request; sentAt: number }>()
  return {
    onRequest({ request, id }) {
      request.headers.set(CSRF_HEADER, CSRF_VALUE)
      request.headers.set('Accept-Language', hooks.language())
      if (!SELF_HANDLED.has(pathOf(request.url))) inFlight.set(id, { copy: request.clone(), sentAt: Date.now() })
      return request
    },
    async onResponse({ request, response, id }) {
      const pending = inFlight.get(id)
      inFlight.delete(id)
      if (response.ok) return response
      const path = pathOf(request.url)
      const body = await bodyOf(response)
      const action = authActionFor(path, response.status, body)
      if (!action) return response
      if (action !== 'reauth' || !pending) {
        dispatch(action, path, response, body)
        return response
      }
      // Wait for the one dialog; the user gave up or was locked out → the caller sees the 401
      // (the dialog has already taken them to the login page).
      if (!(await hooks.reauthenticate(pending.sentAt, reauthReasonFor(body)))) return response
      const retried = await fetchFn(pending.copy)
      if (!retried.ok) {
        // Retried once only: a second 0004/0011 goes to the caller as an error, no second dialog.
        const retriedBody = await bodyOf(retried)
        const again = authActionFor(path, retried.status, retriedBody)
        if (again && again !== 'reauth') dispatch(again, path, retried, retriedBody)
      }
      return retried
    },
    onError({ id }) {
      inFlight.delete(id)
    },
  }
}

export type ApiClient = Client<paths>

export function createApiClient(options: { baseUrl?: string; fetch?: typeof globalThis.fetch } = {}): ApiClient {
  const client = createClient<paths>({
    // Same origin: the server serves the UI and the API together.
    baseUrl: options.baseUrl ?? (typeof window === 'undefined' ? 'http://localhost' : window.location.origin),
    credentials: 'same-origin',
    ...(options.fetch ? { fetch: options.fetch } : {}),
  })
  const fetchFn = options.fetch ?? ((request: Request) => globalThis.fetch(request))
  client.use(authMiddleware((request) => fetchFn(request)))
  return client
}

export const client = createApiClient()

interface FetchResult<D> {
  data?: D
  error?: unknown
  response: Response
}

/** Awaits an openapi-fetch call and returns its data, or throws an ApiError for a non-2xx answer. */
export async function unwrap<D>(call: Promise<FetchResult<D>>): Promise<D> {
  const { data, error, response } = await call
  if (!response.ok) throw toApiError(response.status, error, response.headers)
  return data as D
}
