// QY-AUTH-0011 (step-up: a critical operation long after the last password entry) is routed like 0004:
// the one re-auth dialog, with wording about this operation, then the request is retried once.
import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { watch } from 'vue'
import { createMemoryHistory, createRouter } from 'vue-router'
import type * as Client from '@/api/client'
import { authActionFor, configureClient, reauthReasonFor, resetClientHooks, unwrap } from '@/api/client'
import { exportLoginLog } from '@/api/system/log'
import { updateParameter } from '@/api/system/parameter'
import { createReauthGate, type ReauthGate } from '@/auth/reauth'
import ReauthDialog from '@/components/ReauthDialog.vue'
import { i18n, setLocale } from '@/locales'
import { useUserStore } from '@/stores/user'
import { makeUser } from './fixtures'
import { errorBody, fakeServer, json, settle } from './helpers'

// The typed calls use the app's one client: route it to a fake server whose answers each test sets.
const fake = vi.hoisted(() => ({
  answer: null as null | ((req: Request, n: number) => Response),
  seen: [] as Request[],
  counts: new Map<string, number>(),
}))
vi.mock('@/api/client', async (importOriginal) => {
  const actual = await importOriginal<typeof Client>()
  const counts = fake.counts
  const fetch = async (input: RequestInfo | URL) => {
    const req = input as Request
    fake.seen.push(req)
    const path = new URL(req.url).pathname
    const n = (counts.get(path) ?? 0) + 1
    counts.set(path, n)
    if (!fake.answer) throw new Error('no fake answer set')
    return fake.answer(req, n)
  }
  return { ...actual, client: actual.createApiClient({ baseUrl: 'http://quanyi.test', fetch: fetch as typeof globalThis.fetch }) }
})
vi.mock('@/api/identity/session', () => ({ reauth: vi.fn(), logout: vi.fn(), me: vi.fn(), login: vi.fn(), changePassword: vi.fn() }))

const STEP_UP = errorBody('QY-AUTH-0011', '该操作需要重新验证身份：请先输入密码确认')
const PARAMETER = '/api/v1/system/parameters/security.login.max_failures'
const EXPORT = '/api/v1/system/login-log/export'

function countOpenings(gate: ReauthGate): () => number {
  let openings = 0
  watch(
    () => gate.state.open,
    (open) => {
      if (open) openings++
    },
    { flush: 'sync' },
  )
  return () => openings
}

describe('step-up routing', () => {
  it('treats QY-AUTH-0011 on any call as a re-auth, for the step-up reason', () => {
    for (const path of [PARAMETER, EXPORT, '/api/v1/system/users/u-1/password-reset', '/api/v1/system/users/u-1/roles']) {
      expect(authActionFor(path, 403, STEP_UP), path).toBe('reauth')
    }
    expect(reauthReasonFor(STEP_UP)).toBe('step-up')
    expect(reauthReasonFor(errorBody('QY-AUTH-0004'))).toBe('idle')
    // Other 403s stay with the caller.
    expect(authActionFor(PARAMETER, 403, errorBody('QY-AUTH-0003'))).toBeNull()
    expect(authActionFor(PARAMETER, 403, errorBody('QY-SYS-1004'))).toBeNull()
    // The re-auth call itself is never routed (its dialog shows its errors).
    expect(authActionFor('/api/v1/auth/reauth', 403, STEP_UP)).toBeNull()
  })
})

describe('step-up retry', () => {
  let gate: ReauthGate
  let reasons: string[]
  beforeEach(() => {
    gate = createReauthGate()
    reasons = []
    fake.seen.length = 0
    fake.counts.clear()
    configureClient({
      reauthenticate: (sentAt, reason) => {
        reasons.push(reason)
        return gate.request(sentAt, reason)
      },
    })
  })
  afterEach(() => {
    resetClientHooks()
    fake.answer = null
  })

  it('opens the dialog for a 0011, then retries the parameter change once with the same body', async () => {
    fake.answer = (_req, n) => (n === 1 ? json(403, STEP_UP) : json(204, undefined))
    const openings = countOpenings(gate)
    let done = false
    const call = updateParameter('security.login.max_failures', 7).then(() => (done = true))
    await settle()
    expect(gate.state.open).toBe(true)
    expect(gate.state.reason).toBe('step-up')
    expect(reasons).toEqual(['step-up'])
    expect(done).toBe(false)

    gate.confirm()
    await call
    expect(done).toBe(true)
    expect(openings()).toBe(1)
    expect(fake.seen).toHaveLength(2)
    const retried = fake.seen[1]!
    expect(retried.method).toBe('PUT')
    expect(new URL(retried.url).pathname).toBe(PARAMETER)
    expect(retried.headers.get('X-Requested-With')).toBe('quanyi')
    expect(await retried.json()).toEqual({ value: 7 })
  })

  it('retries an export after the dialog and hands back the CSV under the server file name', async () => {
    fake.answer = (_req, n) =>
      n === 1
        ? json(403, STEP_UP)
        : new Response('\uFEFFid,at,username,ip,success,reason\n1,2026-01-01T00:00:00Z,admin,127.0.0.1,true,ok\n', {
            status: 200,
            headers: { 'Content-Type': 'text/csv; charset=utf-8', 'Content-Disposition': 'attachment; filename="login-log-20260101080000.csv"' },
          })
    const file = exportLoginLog({ username: 'admin', success: true })
    await settle()
    expect(gate.state.reason).toBe('step-up')
    gate.confirm()
    const got = await file
    expect(got.filename).toBe('login-log-20260101080000.csv')
    expect(await got.blob.text()).toContain('admin,127.0.0.1,true,ok')
    expect(fake.seen).toHaveLength(2)
    for (const req of fake.seen) expect(new URL(req.url).search).toBe('?username=admin&success=true')
  })

  it('gives the caller the 0011 error, without retrying, when the user gives up', async () => {
    fake.answer = () => json(403, STEP_UP)
    const call = updateParameter('security.login.max_failures', 7).catch((e: unknown) => e)
    await settle()
    gate.abandon()
    expect(await call).toMatchObject({ code: 'QY-AUTH-0011', status: 403 })
    expect(fake.seen).toHaveLength(1)
  })

  it('retries only once: a second 0011 reaches the caller and opens no second dialog', async () => {
    fake.answer = () => json(403, STEP_UP)
    const openings = countOpenings(gate)
    const call = exportLoginLog().catch((e: unknown) => e)
    await settle()
    gate.confirm()
    expect(await call).toMatchObject({ code: 'QY-AUTH-0011', status: 403 })
    await settle()
    expect(fake.seen).toHaveLength(2)
    expect(openings()).toBe(1)
    expect(gate.state.open).toBe(false)
  })

  it('asks once for an idle call and a step-up call failing together, with the idle wording', async () => {
    const server = fakeServer((req, n) => {
      if (n > 1) return json(204, undefined)
      return new URL(req.url).pathname === PARAMETER ? json(403, STEP_UP) : json(401, errorBody('QY-AUTH-0004'))
    })
    const openings = countOpenings(gate)
    const a = unwrap(server.client.PUT('/api/v1/system/parameters/{key}', { params: { path: { key: 'security.login.max_failures' } }, body: { value: 6 } }))
    await settle()
    expect(gate.state.reason).toBe('step-up')
    const b = unwrap(server.client.POST('/api/v1/auth/password', { body: { old_password: 'Old#2026a', new_password: 'New#2026b' } }))
    await settle()
    expect(gate.state.reason).toBe('idle')
    gate.confirm()
    await expect(a).resolves.toBeUndefined()
    await expect(b).resolves.toBeUndefined()
    expect(openings()).toBe(1)
    expect(server.fetch).toHaveBeenCalledTimes(4)
  })

  it('retries without asking a 0011 of a request sent before the latest confirmation', async () => {
    const now = vi.spyOn(Date, 'now')
    now.mockReturnValue(1_000)
    const g = createReauthGate(() => 2_000)
    configureClient({ reauthenticate: g.request })
    fake.answer = (_req, n) => (n === 1 ? json(403, STEP_UP) : json(204, undefined))
    void g.request(500, 'idle')
    g.confirm() // confirmed at 2 000; the PUT below left at 1 000
    await updateParameter('security.login.max_failures', 8)
    expect(g.state.open).toBe(false)
    expect(fake.seen).toHaveLength(2)
    now.mockRestore()
  })
})

describe('re-auth dialog wording', () => {
  beforeEach(() => {
    setLocale('zh-CN')
    document.body.innerHTML = ''
  })
  afterEach(() => setLocale('zh-CN'))

  async function mountDialog(gate: ReauthGate) {
    const pinia = createPinia()
    setActivePinia(pinia)
    useUserStore().setUser(makeUser([], { username: 'admin', display_name: '系统管理员' }))
    const router = createRouter({ history: createMemoryHistory(), routes: [{ path: '/:p(.*)*', component: { template: '<div />' } }] })
    await router.push('/system/parameters')
    mount(ReauthDialog, { props: { gate }, global: { plugins: [pinia, i18n, router] }, attachTo: document.body })
    await flushPromises()
  }
  const text = (id: string) => document.body.querySelector(`[data-testid="${id}"]`)?.textContent?.trim() ?? ''

  it('says this operation needs the password for a step-up, and that the user was idle otherwise', async () => {
    const gate = createReauthGate()
    await mountDialog(gate)
    void gate.request(undefined, 'step-up')
    await flushPromises()
    expect(text('reauth-desc')).toContain('此操作需要重新验证身份')
    expect(document.body.querySelector('[data-testid="reauth-dialog"]')?.getAttribute('data-reason')).toBe('step-up')
    setLocale('en')
    await flushPromises()
    expect(text('reauth-desc')).toContain('confirm your password for this operation')
    gate.abandon()
    setLocale('zh-CN')
    void gate.request(undefined, 'idle')
    await flushPromises()
    expect(text('reauth-desc')).toContain('较长时间未操作')
    gate.abandon()
  })
})
