// The typed HTTP client (openapi-fetch over the generated schema.d.ts). Every request carries the CSRF
// header and the UI language; a 401 outside login and the session probe hands over to the router.
import createClient, { type Client, type Middleware } from 'openapi-fetch'
import { toApiError } from './error'
import type { paths } from './schema'

/** The server refuses state-changing /api/v1 requests without this header (CSRF defence). */
export const CSRF_HEADER = 'X-Requested-With'
export const CSRF_VALUE = 'quanyi'

export const LOGIN_PATH = '/api/v1/auth/login'
export const SESSION_PATH = '/api/v1/auth/me'

export interface ClientHooks {
  /** The language to send as Accept-Language (`zh-CN` or `en`). */
  language: () => string
  /** Called on a 401 from any call but login and the session probe (their callers handle it). */
  onUnauthorized: () => void
}

const hooks: ClientHooks = {
  language: () => 'zh-CN',
  onUnauthorized: () => {},
}

export function configureClient(next: Partial<ClientHooks>): void {
  Object.assign(hooks, next)
}

function pathOf(url: string): string {
  try {
    return new URL(url, 'http://localhost').pathname
  } catch {
    return url
  }
}

const middleware: Middleware = {
  onRequest({ request }) {
    request.headers.set(CSRF_HEADER, CSRF_VALUE)
    request.headers.set('Accept-Language', hooks.language())
    return request
  },
  onResponse({ request, response }) {
    if (response.status === 401) {
      const path = pathOf(request.url)
      if (path !== LOGIN_PATH && path !== SESSION_PATH) hooks.onUnauthorized()
    }
    return response
  },
}

export type ApiClient = Client<paths>

export function createApiClient(options: { baseUrl?: string; fetch?: typeof globalThis.fetch } = {}): ApiClient {
  const client = createClient<paths>({
    // Same origin: the server serves the UI and the API together.
    baseUrl: options.baseUrl ?? (typeof window === 'undefined' ? 'http://localhost' : window.location.origin),
    credentials: 'same-origin',
    ...(options.fetch ? { fetch: options.fetch } : {}),
  })
  client.use(middleware)
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
