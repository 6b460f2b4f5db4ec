// The new 系统管理 pages against mocked calls: what the tables show and what the buttons do.
import { flushPromises, mount } from '@vue/test-utils'
import type * as ElementPlus from 'element-plus'
import { createPinia, setActivePinia } from 'pinia'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import type { Component } from 'vue'
import { listDictionaries } from '@/api/system/dictionary'
import { auditCatalogue, exportLoginLog, listAuditLog, listLoginLog } from '@/api/system/log'
import { listParameters } from '@/api/system/parameter'
import type { Dictionary } from '@/api/types'
import { permission } from '@/directives/permission'
import { i18n, setLocale } from '@/locales'
import { PERMISSIONS } from '@/router/menu'
import { useUserStore } from '@/stores/user'
import type * as Download from '@/utils/download'
import { saveFile } from '@/utils/download'
import AuditLogView from '@/views/system/audit-log/index.vue'
import DictionaryView from '@/views/system/dictionary/index.vue'
import LoginLogView from '@/views/system/login-log/index.vue'
import ParameterView from '@/views/system/parameter/index.vue'
import { makeUser } from './fixtures'

vi.mock('@/api/system/log', () => ({ listLoginLog: vi.fn(), listAuditLog: vi.fn(), exportLoginLog: vi.fn(), exportAuditLog: vi.fn(), auditCatalogue: vi.fn() }))
vi.mock('@/api/system/dictionary', () => ({ listDictionaries: vi.fn(), putDictionaryItem: vi.fn() }))
vi.mock('@/api/system/parameter', () => ({ listParameters: vi.fn(), updateParameter: vi.fn() }))
vi.mock('@/utils/download', async (importOriginal) => ({ ...(await importOriginal<typeof Download>()), saveFile: vi.fn() }))
vi.mock('element-plus', async (importOriginal) => ({ ...(await importOriginal<typeof ElementPlus>()), ElMessage: vi.fn() }))

const dictionaries: Dictionary[] = [
  {
    code: 'channel',
    name: '营销渠道',
    builtin: false,
    items: [
      { code: 'wechat', label_zh: '微信银行', label_en: 'WeChat banking', sort: 2, enabled: false },
      { code: 'mobile_banking', label_zh: '手机银行', label_en: 'Mobile banking', sort: 1, enabled: true },
    ],
  },
  {
    code: 'login_result',
    name: '登录结果',
    builtin: true,
    items: [
      { code: 'ok', label_zh: '成功', label_en: 'Success', sort: 1, enabled: true },
      { code: 'captcha', label_zh: '验证码错误', label_en: 'Wrong captcha', sort: 4, enabled: true },
    ],
  },
]

async function mountPage(view: Component, permissions: string[]) {
  const pinia = createPinia()
  setActivePinia(pinia)
  useUserStore().setUser(makeUser(permissions))
  const w = mount(view, { global: { plugins: [pinia, i18n], directives: { permission }, stubs: { transition: false } }, attachTo: document.body })
  await flushPromises()
  return w
}

const rowsOf = (w: ReturnType<typeof mount>, table: string) => w.findAll(`[data-testid="${table}"] .el-table__body tr.el-table__row`)

beforeEach(() => {
  setLocale('zh-CN')
  document.body.innerHTML = ''
  vi.mocked(listDictionaries).mockReset().mockResolvedValue(dictionaries)
  vi.mocked(listLoginLog)
    .mockReset()
    .mockResolvedValue({
      items: [
        { id: 2, at: '2026-11-26T05:32:50Z', username: 'admin', ip: '10.0.0.8', success: true, reason: 'ok' },
        { id: 1, at: '2026-11-26T05:32:49Z', username: 'admin', ip: '10.0.0.8', success: false, reason: 'captcha' },
      ],
      total: 2,
      total_capped: false,
    })
  vi.mocked(listAuditLog)
    .mockReset()
    .mockResolvedValue({
      items: [
        { id: 9, at: '2026-11-26T05:33:00Z', username: 'admin', ip: '10.0.0.8', action: 'system.parameter.update', target: 'security.login.max_failures', target_no: null, result: 'ok', before: { value: 5 }, after: { value: 6 } },
        { id: 8, at: '2026-11-26T05:32:00Z', username: null, ip: null, action: 'campaign.launch', target: null, target_no: null, result: 'refused', before: null, after: null },
        {
          id: 7,
          at: '2026-11-26T05:31:00Z',
          username: 'reviewer1',
          ip: '10.0.0.9',
          action: 'process.action.take',
          target: 'campaign-6f1c0a2e-0000-4000-8000-000000000001',
          target_no: 'HD20261126000001',
          result: 'ok',
          before: null,
          after: { action: 'return', comment: '预算过高' },
        },
      ],
      total: 3,
      total_capped: false,
    })
  vi.mocked(auditCatalogue)
    .mockReset()
    .mockResolvedValue({
      actions: [
        { code: 'system.parameter.update', label_zh: '修改参数', label_en: 'Edit parameter' },
        { code: 'process.action.take', label_zh: '流程办理', label_en: 'Process action' },
      ],
      fields: [
        { name: 'value', label_zh: '值', label_en: 'Value' },
        { name: 'action', label_zh: '操作', label_en: 'Action' },
        { name: 'comment', label_zh: '意见', label_en: 'Comment' },
      ],
    })
  vi.mocked(exportLoginLog).mockReset()
  vi.mocked(saveFile).mockReset()
})

describe('登录日志 page', () => {
  it('shows Beijing times, result tags and reasons labelled from the login_result code list', async () => {
    const w = await mountPage(LoginLogView, [PERMISSIONS.systemLogView])
    expect(listLoginLog).toHaveBeenCalledWith({ page: 1, page_size: 20 })
    const rows = rowsOf(w, 'login-log-table')
    expect(rows.map((r) => r.get('[data-testid="login-log-at"]').text())).toEqual(['2026-11-26 13:32:50', '2026-11-26 13:32:49'])
    expect(rows.map((r) => r.get('[data-testid="login-log-result-tag"]').text())).toEqual(['成功', '失败'])
    expect(rows.map((r) => r.get('[data-testid="login-log-reason"]').text())).toEqual(['成功', '验证码错误'])
    // No export without system:log:export.
    expect(w.find('[data-testid="login-log-export"]').exists()).toBe(false)
  })

  it('exports the searched filters and saves the file under the server name', async () => {
    vi.mocked(exportLoginLog).mockResolvedValue({ blob: new Blob(['id\n']), filename: 'login-log-20261126053303.csv' })
    const w = await mountPage(LoginLogView, [PERMISSIONS.systemLogView, PERMISSIONS.systemLogExport])
    const field = w.get('[data-testid="login-log-username"]')
    const input = field.element.tagName === 'INPUT' ? field : field.get('input')
    await input.setValue('admin')
    await w.get('[data-testid="login-log-search"]').trigger('submit')
    await flushPromises()
    expect(listLoginLog).toHaveBeenLastCalledWith({ username: 'admin', page: 1, page_size: 20 })
    // Typed but not searched: not exported.
    await input.setValue('auditor')
    await w.get('[data-testid="login-log-export"]').trigger('click')
    await flushPromises()
    expect(exportLoginLog).toHaveBeenCalledWith({ username: 'admin' })
    expect(saveFile).toHaveBeenCalledWith({ blob: expect.any(Blob), filename: 'login-log-20261126053303.csv' })
  })
})

describe('操作日志 page', () => {
  it("names operations from the server's catalogue with the code beside, the object by its number, and expands before/after as named fields", async () => {
    const w = await mountPage(AuditLogView, [PERMISSIONS.systemAuditView])
    const rows = rowsOf(w, 'audit-log-table')
    expect(rows[0]!.get('[data-testid="audit-log-action-label"]').text()).toBe('修改参数')
    expect(rows[0]!.get('[data-testid="audit-log-action-cell"] small').text()).toBe('system.parameter.update')
    expect(rows[1]!.find('[data-testid="audit-log-action-label"]').exists()).toBe(false)
    expect(rows[1]!.get('[data-testid="audit-log-action-cell"]').text()).toBe('campaign.launch')
    expect(rows.map((r) => r.get('[data-testid="audit-log-result-tag"]').text())).toEqual(['成功', '已拒绝', '成功'])
    // the object by its business number, not campaign-<uuid>
    expect(rows[2]!.get('[data-testid="audit-log-target"]').text()).toBe('HD20261126000001')
    expect(rows[2]!.get('[data-testid="audit-log-action-label"]').text()).toBe('流程办理')
    await rows[0]!.get('.el-table__expand-icon').trigger('click')
    await flushPromises()
    expect(w.get('[data-testid="audit-log-field"]').text()).toBe('值')
    expect(w.get('[data-testid="audit-log-before"]').text()).toBe('5')
    expect(w.get('[data-testid="audit-log-after"]').text()).toBe('6')
    expect(w.find('[data-testid="audit-log-detail"] pre').exists()).toBe(false)
    await rowsOf(w, 'audit-log-table')[2]!.get('.el-table__expand-icon').trigger('click')
    await flushPromises()
    const details = w.findAll('[data-testid="audit-log-diff"]')
    const last = details[details.length - 1]!
    expect(last.findAll('[data-testid="audit-log-field"]').map((f) => f.text())).toEqual(['操作', '意见'])
    expect(last.findAll('[data-testid="audit-log-after"]').map((f) => f.text())).toEqual(['退回修改', '预算过高'])
    expect(w.find('[data-testid="audit-log-export"]').exists()).toBe(false)
  })
})

describe('参数设置 page', () => {
  it('lists value with unit, default and range, and offers 修改 only with the update permission', async () => {
    vi.mocked(listParameters).mockResolvedValue([
      { key: 'security.login.max_failures', name: '连续登录失败锁定次数', unit: '次', value: 6, default: 5, min: 3, max: 10 },
    ])
    let w = await mountPage(ParameterView, [PERMISSIONS.systemParameterView])
    expect(w.get('[data-testid="parameter-value"]').text()).toBe('6 次')
    expect(w.get('[data-testid="parameter-default"]').text()).toBe('5 次')
    expect(w.get('[data-testid="parameter-range"]').text()).toBe('3 – 10 次')
    expect(w.find('[data-testid="parameter-modified"]').exists()).toBe(true)
    expect(w.find('[data-testid="parameter-edit"]').exists()).toBe(false)
    w.unmount()
    w = await mountPage(ParameterView, [PERMISSIONS.systemParameterView, PERMISSIONS.systemParameterUpdate])
    expect(w.find('[data-testid="parameter-edit"]').exists()).toBe(true)
  })
})

describe('码值管理 page', () => {
  it('lists the code lists, marks static ones, and sorts the chosen list by order', async () => {
    const w = await mountPage(DictionaryView, [PERMISSIONS.systemDictionaryUpdate])
    const lists = w.findAll('[data-testid="dictionary-list"]')
    expect(lists.map((l) => l.attributes('data-code'))).toEqual(['channel', 'login_result'])
    expect(lists.map((l) => l.find('[data-testid="dictionary-static"]').exists())).toEqual([false, true])
    expect(w.findAll('[data-testid="dictionary-item-code-cell"]').map((c) => c.text())).toEqual(['mobile_banking', 'wechat'])
    expect(w.findAll('[data-testid="dictionary-item-enabled-tag"]').map((c) => c.text())).toEqual(['启用', '停用'])
    expect(w.find('[data-testid="dictionary-item-create"]').exists()).toBe(true)
    expect(w.findAll('[data-testid="dictionary-item-edit"]')).toHaveLength(2)
    await lists[1]!.trigger('click')
    expect(w.find('[data-testid="dictionary-item-create"]').exists()).toBe(false)
    expect(w.find('[data-testid="dictionary-item-edit"]').exists()).toBe(false)
    expect(w.get('[data-testid="dictionary-note"]').text()).toContain('静态码值由系统维护')
  })

  it('is read-only without system:dictionary:update', async () => {
    const w = await mountPage(DictionaryView, [])
    expect(w.findAll('[data-testid="dictionary-item-code-cell"]')).toHaveLength(2)
    expect(w.find('[data-testid="dictionary-item-create"]').exists()).toBe(false)
    expect(w.find('[data-testid="dictionary-item-edit"]').exists()).toBe(false)
  })
})
