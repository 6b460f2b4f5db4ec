import { mount } from '@vue/test-utils'
import type * as ElementPlus from 'element-plus'
import { beforeEach, describe, expect, it, vi, type Mock } from 'vitest'
import { defineComponent, type VNode } from 'vue'
import { ApiError, asApiError, CLIENT_ERROR_CODES, describeError, toApiError } from '@/api/error'
import { i18n, setLocale } from '@/locales'
import { showError } from '@/utils/notify'

vi.mock('element-plus', async (importOriginal) => ({
  ...(await importOriginal<typeof ElementPlus>()),
  ElMessage: vi.fn(),
}))

const { ElMessage } = await import('element-plus')
const t = i18n.global.t as (key: string, named?: Record<string, unknown>) => string

const serverBody = { code: 'QY-AUTH-0001', message: '用户名或密码错误', request_id: '01JD5Z8Q4T3M' }

describe('toApiError', () => {
  it('keeps code, server message and request id from the error body', () => {
    const e = toApiError(401, serverBody)
    expect(e).toBeInstanceOf(ApiError)
    expect(e.code).toBe('QY-AUTH-0001')
    expect(e.message).toBe('用户名或密码错误')
    expect(e.requestId).toBe('01JD5Z8Q4T3M')
    expect(e.status).toBe(401)
    expect(e.fromServer).toBe(true)
  })

  it('falls back to a UI code and the x-request-id header for a body that is not ours', () => {
    const e = toApiError(502, '<html>Bad Gateway</html>'.repeat(20), new Headers({ 'x-request-id': 'edge-42' }))
    expect(e.code).toBe(CLIENT_ERROR_CODES.unexpected)
    expect(e.requestId).toBe('edge-42')
    expect(e.status).toBe(502)
    expect(e.fromServer).toBe(false)
  })

  it('does not take a body with a missing field as a server error', () => {
    expect(toApiError(500, { code: 'QY-SYS-0001', message: 'x' }).fromServer).toBe(false)
  })
})

describe('describeError', () => {
  beforeEach(() => setLocale('zh-CN'))

  it('shows the server message as is (the server already localized it)', () => {
    expect(describeError(toApiError(401, serverBody), t)).toEqual({
      code: 'QY-AUTH-0001',
      message: '用户名或密码错误',
      requestId: '01JD5Z8Q4T3M',
    })
  })

  it('turns a fetch TypeError into the network message in the UI language', () => {
    expect(describeError(new TypeError('Failed to fetch'), t).message).toBe('网络连接失败，请检查网络后重试')
    setLocale('en')
    const d = describeError(new TypeError('Failed to fetch'), t)
    expect(d.code).toBe(CLIENT_ERROR_CODES.network)
    expect(d.message).toBe('Network error. Please check your connection and try again.')
    expect(d.requestId).toBeNull()
  })

  it('names the HTTP status when the body is not an API error', () => {
    expect(describeError(toApiError(502, null), t).message).toContain('502')
  })

  it('wraps anything thrown', () => {
    expect(asApiError('boom').code).toBe(CLIENT_ERROR_CODES.unexpected)
  })
})

describe('showError', () => {
  beforeEach(() => {
    setLocale('zh-CN')
    ;(ElMessage as unknown as Mock).mockClear()
  })

  it('puts the message and, beside it, the code and request id in one error toast', () => {
    showError(toApiError(409, { code: 'QY-CAMP-0007', message: '活动已提交审核', request_id: 'req-7f3a' }))
    expect(ElMessage).toHaveBeenCalledTimes(1)
    const options = (ElMessage as unknown as Mock).mock.calls[0]?.[0] as { type: string; message: VNode }
    expect(options.type).toBe('error')
    const wrapper = mount(defineComponent({ render: () => options.message }))
    expect(wrapper.find('.qy-error__text').text()).toBe('活动已提交审核')
    expect(wrapper.find('[data-testid="error-request-id"]').text()).toBe('QY-CAMP-0007 · 请求编号 req-7f3a')
  })

  it('stays quiet on a 401, which already sent the user to the login page', () => {
    showError(toApiError(401, serverBody))
    expect(ElMessage).not.toHaveBeenCalled()
  })
})
