import { afterEach, describe, expect, it, vi } from 'vitest'
import { configureClient, createApiClient, CSRF_HEADER, CSRF_VALUE, resetClientHooks, unwrap } from '@/api/client'
import { ApiError } from '@/api/error'

function json(status: number, body: unknown): Response {
  return new Response(body === undefined ? null : JSON.stringify(body), {
    status,
    headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
  })
}

function setup(answer: (req: Request) => Response) {
  const seen: Request[] = []
  const fetch = vi.fn(async (input: RequestInfo | URL) => {
    const req = input as Request
    seen.push(req)
    return answer(req)
  })
  return { client: createApiClient({ baseUrl: 'http://quanyi.test', fetch: fetch as typeof globalThis.fetch }), seen }
}

afterEach(() => resetClientHooks())

describe('api client', () => {
  it('sends the CSRF header and the UI language on every request', async () => {
    configureClient({ language: () => 'en' })
    const { client, seen } = setup(() => json(204, undefined))
    await client.POST('/api/v1/auth/logout')
    await client.GET('/readyz')
    expect(seen).toHaveLength(2)
    for (const req of seen) {
      expect(req.headers.get(CSRF_HEADER)).toBe(CSRF_VALUE)
      expect(req.headers.get('Accept-Language')).toBe('en')
    }
  })

  it('hands a 401 from an ordinary call to the signed-out hook', async () => {
    const onSignedOut = vi.fn()
    configureClient({ onSignedOut })
    const { client } = setup(() => json(401, { code: 'QY-AUTH-0001', message: '请先登录', request_id: 'r1' }))
    await expect(unwrap(client.GET('/api/v1/system/info'))).rejects.toMatchObject({ code: 'QY-AUTH-0001', status: 401 })
    expect(onSignedOut).toHaveBeenCalledTimes(1)
    expect(onSignedOut.mock.calls[0]?.[0]).toMatchObject({ code: 'QY-AUTH-0001', message: '请先登录' })
  })

  it('leaves a 401 from login, re-auth and the plain session probe to their callers', async () => {
    const onSignedOut = vi.fn()
    configureClient({ onSignedOut })
    const { client } = setup(() => json(401, { code: 'QY-AUTH-0002', message: '用户名或密码错误', request_id: 'r2' }))
    await client.POST('/api/v1/auth/login', { body: { username: 'a', password: 'b', captcha_id: 'c', captcha_answer: 'd' } })
    await client.POST('/api/v1/auth/reauth', { body: { password: 'b' } })
    await client.GET('/api/v1/auth/me')
    expect(onSignedOut).not.toHaveBeenCalled()
  })

  it('unwrap returns the data of a 2xx and throws an ApiError with the body otherwise', async () => {
    const { client } = setup((req) =>
      req.url.endsWith('/api/v1/system/info')
        ? json(200, { version: '0.1.0', temporal_ui_url: null })
        : json(500, { code: 'QY-SYS-0001', message: '内部错误', request_id: 'r3' }),
    )
    await expect(unwrap(client.GET('/api/v1/system/info'))).resolves.toEqual({ version: '0.1.0', temporal_ui_url: null })
    const err = await unwrap(client.GET('/api/v1/auth/me')).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ApiError)
    expect(err).toMatchObject({ code: 'QY-SYS-0001', message: '内部错误', requestId: 'r3', status: 500 })
  })
})
