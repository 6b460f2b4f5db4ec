import { flushPromises, mount } from '@vue/test-utils'
import { createPinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { toApiError } from '@/api/error'
import { getSystemInfo } from '@/api/system/info'
import { getReadiness } from '@/api/system/status'
import { i18n, setLocale } from '@/locales'
import StatusView from '@/views/system/status/index.vue'
import { failedPayload, readyPayload } from './fixtures'

vi.mock('@/api/system/status', () => ({ getReadiness: vi.fn() }))
vi.mock('@/api/system/info', () => ({ getSystemInfo: vi.fn() }))

const readiness = vi.mocked(getReadiness)
const info = vi.mocked(getSystemInfo)

async function mountStatus() {
  const wrapper = mount(StatusView, { global: { plugins: [createPinia(), i18n] } })
  await flushPromises()
  return wrapper
}

describe('system status page', () => {
  beforeEach(() => {
    setLocale('zh-CN')
    readiness.mockReset()
    info.mockReset()
    info.mockResolvedValue({ version: '0.1.0', temporal_ui_url: 'http://127.0.0.1:8233' })
  })
  afterEach(() => vi.useRealTimers())

  it('shows ready and both checks ok with latency for a healthy payload', async () => {
    readiness.mockResolvedValue(readyPayload)
    const w = await mountStatus()
    const overall = w.get('[data-testid="status-overall"]')
    expect(overall.attributes('data-state')).toBe('ready')
    expect(overall.text()).toContain('系统运行正常')
    const pg = w.get('[data-testid="check-postgres"]')
    expect(pg.attributes('data-state')).toBe('ok')
    expect(pg.text()).toContain('PostgreSQL')
    expect(pg.get('[data-testid="check-tag"]').text()).toBe('正常')
    expect(pg.get('[data-testid="check-latency"]').text()).toBe('3.2 毫秒')
    const tp = w.get('[data-testid="check-temporal"]')
    expect(tp.attributes('data-state')).toBe('ok')
    expect(tp.get('[data-testid="check-tag"]').text()).toBe('正常')
  })

  it('shows unavailable and the failed check with its detail', async () => {
    readiness.mockResolvedValue(failedPayload)
    const w = await mountStatus()
    expect(w.get('[data-testid="status-overall"]').attributes('data-state')).toBe('unavailable')
    expect(w.get('[data-testid="check-postgres"]').attributes('data-state')).toBe('ok')
    const tp = w.get('[data-testid="check-temporal"]')
    expect(tp.attributes('data-state')).toBe('failed')
    expect(tp.get('[data-testid="check-tag"]').text()).toBe('异常')
    expect(tp.get('[data-testid="check-detail"]').text()).toBe('connection refused (127.0.0.1:7233)')
  })

  it('counts a failed check as unavailable even if the status field says ready', async () => {
    readiness.mockResolvedValue({ status: 'ready', checks: [{ ...readyPayload.checks[0]!, ok: false }] })
    const w = await mountStatus()
    expect(w.get('[data-testid="status-overall"]').attributes('data-state')).toBe('unavailable')
    expect(w.get('[data-testid="check-temporal"]').attributes('data-state')).toBe('unknown')
  })

  it('reads the tags in English too', async () => {
    setLocale('en')
    readiness.mockResolvedValue(failedPayload)
    const w = await mountStatus()
    expect(w.get('[data-testid="check-postgres"] [data-testid="check-tag"]').text()).toBe('OK')
    expect(w.get('[data-testid="check-temporal"] [data-testid="check-tag"]').text()).toBe('Failed')
  })

  it('shows the request error in the banner when /readyz cannot be read', async () => {
    readiness.mockRejectedValue(toApiError(502, null, new Headers({ 'x-request-id': 'edge-9' })))
    const w = await mountStatus()
    const overall = w.get('[data-testid="status-overall"]')
    expect(overall.attributes('data-state')).toBe('unavailable')
    expect(overall.text()).toContain('502')
    expect(overall.text()).toContain('edge-9')
  })

  it('links the Temporal UI from system info and the API docs', async () => {
    readiness.mockResolvedValue(readyPayload)
    const w = await mountStatus()
    expect(w.get('[data-testid="link-temporal-ui"]').attributes('href')).toBe('http://127.0.0.1:8233')
    expect(w.get('[data-testid="link-api-docs"]').attributes('href')).toBe('/api/docs')
    expect(w.get('[data-testid="system-version"]').text()).toContain('0.1.0')
  })

  it('polls /readyz every 5 seconds and stops when the page closes', async () => {
    vi.useFakeTimers()
    readiness.mockResolvedValueOnce(readyPayload).mockResolvedValue(failedPayload)
    const w = await mountStatus()
    expect(readiness).toHaveBeenCalledTimes(1)
    expect(w.get('[data-testid="status-overall"]').attributes('data-state')).toBe('ready')
    await vi.advanceTimersByTimeAsync(5000)
    await flushPromises()
    expect(readiness).toHaveBeenCalledTimes(2)
    expect(w.get('[data-testid="status-overall"]').attributes('data-state')).toBe('unavailable')
    w.unmount()
    await vi.advanceTimersByTimeAsync(20000)
    expect(readiness).toHaveBeenCalledTimes(2)
  })
})
