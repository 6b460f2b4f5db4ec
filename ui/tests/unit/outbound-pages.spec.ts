// 通知记录 and 外呼日志 against mocked calls: what the tables show, the links between the two pages and to
// the process, the empty and failed states, and the drawer's excerpts.
import { flushPromises, mount } from '@vue/test-utils'
import type * as ElementPlus from 'element-plus'
import { createPinia, setActivePinia } from 'pinia'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { createMemoryHistory, createRouter, type Router } from 'vue-router'
import { listOutbound } from '@/api/esb/outbound'
import { listNotifications } from '@/api/system/notification'
import type { NotificationRow, OutboundCall } from '@/api/types'
import { i18n, setLocale } from '@/locales'
import { PERMISSIONS } from '@/router/menu'
import { useUserStore } from '@/stores/user'
import OutboundView from '@/views/esb/outbound/index.vue'
import NotificationsView from '@/views/system/notifications/index.vue'
import { makeUser } from './fixtures'

vi.mock('@/api/system/notification', () => ({ listNotifications: vi.fn() }))
vi.mock('@/api/esb/outbound', () => ({ listOutbound: vi.fn() }))
vi.mock('element-plus', async (importOriginal) => ({ ...(await importOriginal<typeof ElementPlus>()), ElMessage: vi.fn() }))

const notices: NotificationRow[] = [
  {
    id: 12,
    key: 'campaign-1/3/submitter/sms',
    kind: 'submitter',
    channel: 'sms',
    workflow_id: 'campaign-approval-1',
    recipient: '138****5678',
    subject: '营销活动已通过审批',
    template_code: 'QY_PROCESS_NOTICE',
    status: 'retrying',
    attempts: 2,
    last_error: 'timeout after 5000 ms',
    next_attempt_at: '2026-11-26T05:40:00Z',
    created_at: '2026-11-26T05:32:50Z',
    sent_at: null,
  },
  {
    id: 11,
    key: 'user-1/password_reset/email',
    kind: 'password_reset',
    channel: 'email',
    workflow_id: null,
    recipient: 'p***@bank.example',
    subject: '密码已重置',
    template_code: null,
    status: 'sent',
    attempts: 1,
    last_error: null,
    next_attempt_at: '2026-11-26T05:30:00Z',
    created_at: '2026-11-26T05:30:00Z',
    sent_at: '2026-11-26T05:30:01Z',
  },
]

const calls: OutboundCall[] = [
  {
    id: 7,
    at: '2026-11-26T05:33:00Z',
    target: 'sms',
    service: 'sms.send',
    url: 'https://sms.bank.example/send',
    notification_id: 12,
    attempt: 2,
    http_status: null,
    latency_ms: 5001,
    outcome: 'timeout',
    error: 'timeout after 5000 ms',
    request_excerpt: '{"mobile":"138****5678","template":"QY_PROCESS_NOTICE"}',
    response_excerpt: null,
  },
]

let router: Router

async function mountAt(path: string, permissions: string[]) {
  const pinia = createPinia()
  setActivePinia(pinia)
  useUserStore().setUser(makeUser(permissions))
  router = createRouter({
    history: createMemoryHistory(),
    routes: [
      { path: '/system/notifications', name: 'system-notifications', component: NotificationsView },
      { path: '/esb/outbound', name: 'esb-outbound', component: OutboundView },
      { path: '/processes/:workflowId', name: 'process-detail', component: { template: '<div />' } },
    ],
  })
  await router.push(path)
  const w = mount({ template: '<router-view />' }, { global: { plugins: [pinia, i18n, router], stubs: { transition: false } }, attachTo: document.body })
  await flushPromises()
  return w
}

const rowsOf = (w: ReturnType<typeof mount>, table: string) => w.findAll(`[data-testid="${table}"] .el-table__body tr.el-table__row`)

beforeEach(() => {
  setLocale('zh-CN')
  document.body.innerHTML = ''
  vi.mocked(listNotifications).mockReset().mockResolvedValue({ items: notices, total: 2 })
  vi.mocked(listOutbound).mockReset().mockResolvedValue({ items: calls, total: 1 })
})

describe('通知记录', () => {
  it('shows channel and state in Chinese, the process linked, 外呼记录 for calls with esb:outbound:view', async () => {
    const w = await mountAt('/system/notifications', [PERMISSIONS.systemNotificationView, PERMISSIONS.processView, PERMISSIONS.esbOutboundView])
    expect(listNotifications).toHaveBeenCalledWith({ page: 1, page_size: 20 })
    const rows = rowsOf(w, 'notifications-table')
    expect(rows).toHaveLength(2)
    expect(rows[0]!.find('[data-testid="notification-channel"]').text()).toBe('短信')
    expect(rows[1]!.find('[data-testid="notification-channel"]').text()).toBe('邮件')
    const status = rows[0]!.find('[data-testid="notification-status"]')
    expect(status.text()).toBe('重试中')
    expect(status.classes()).toContain('el-tag--warning')
    expect(rows[1]!.find('[data-testid="notification-status"]').classes()).toContain('el-tag--success')
    expect(rows[0]!.text()).toContain('QY_PROCESS_NOTICE')
    expect(rows[0]!.find('[data-testid="notification-created-at"]').text()).toBe('2026-11-26 13:32:50')
    expect(rows[0]!.find('[data-testid="notification-workflow"]').attributes('href')).toBe('/processes/campaign-approval-1')
    expect(rows[0]!.find('[data-testid="notification-outbound"]').attributes('href')).toBe('/esb/outbound?notification_id=12')
    // E-mail goes by SMTP: no outbound calls to show.
    expect(rows[1]!.find('[data-testid="notification-outbound"]').exists()).toBe(false)
    expect(rows[0]!.find('[data-testid="notification-error"]').text()).toBe('timeout after 5000 ms')
  })

  it('without esb:outbound:view or process:instance:view, no links', async () => {
    const w = await mountAt('/system/notifications', [PERMISSIONS.systemNotificationView])
    const rows = rowsOf(w, 'notifications-table')
    expect(w.find('[data-testid="notification-outbound"]').exists()).toBe(false)
    const workflow = rows[0]!.find('[data-testid="notification-workflow"]')
    expect(workflow.element.tagName).toBe('SPAN')
    expect(workflow.text()).toBe('campaign-approval-1')
  })

  it('opens filtered by ?workflow_id= and sends the filters', async () => {
    await mountAt('/system/notifications?workflow_id=campaign-approval-1', [PERMISSIONS.systemNotificationView])
    expect(listNotifications).toHaveBeenLastCalledWith({ workflow_id: 'campaign-approval-1', page: 1, page_size: 20 })
  })

  it('says when there is nothing, and when the load failed', async () => {
    vi.mocked(listNotifications).mockResolvedValue({ items: [], total: 0 })
    let w = await mountAt('/system/notifications', [PERMISSIONS.systemNotificationView])
    expect(w.find('[data-testid="notifications-table"]').text()).toContain('暂无数据')
    w.unmount()
    vi.mocked(listNotifications).mockRejectedValue(new Error('boom'))
    w = await mountAt('/system/notifications', [PERMISSIONS.systemNotificationView])
    expect(w.find('[data-testid="notifications-table"]').text()).toContain('数据加载失败')
  })
})

describe('外呼日志', () => {
  it('opens filtered by ?notification_id= and shows the call', async () => {
    const w = await mountAt('/esb/outbound?notification_id=12', [PERMISSIONS.esbOutboundView])
    expect(listOutbound).toHaveBeenLastCalledWith({ notification_id: 12, page: 1, page_size: 20 })
    expect((w.find('input[data-testid="esb-outbound-notification"]').element as HTMLInputElement).value).toBe('12')
    const rows = rowsOf(w, 'esb-outbound-table')
    expect(rows).toHaveLength(1)
    expect(rows[0]!.find('[data-testid="esb-outbound-target-tag"]').text()).toBe('短信平台')
    const outcome = rows[0]!.find('[data-testid="esb-outbound-outcome-tag"]')
    expect(outcome.text()).toBe('超时')
    expect(outcome.classes()).toContain('el-tag--warning')
    expect(rows[0]!.text()).toContain('sms.send')
    expect(rows[0]!.text()).toContain('5001')
  })

  it('ignores a notification_id that is not an id', async () => {
    await mountAt('/esb/outbound?notification_id=abc', [PERMISSIONS.esbOutboundView])
    expect(listOutbound).toHaveBeenLastCalledWith({ page: 1, page_size: 20 })
  })

  it('详情 shows the masked request excerpt in monospace, and says when the answer was not kept', async () => {
    const w = await mountAt('/esb/outbound', [PERMISSIONS.esbOutboundView])
    await w.find('[data-testid="esb-outbound-detail"]').trigger('click')
    await flushPromises()
    const request = document.body.querySelector('[data-testid="esb-outbound-request"]')
    expect(request?.tagName).toBe('PRE')
    expect(request?.textContent).toContain('138****5678')
    expect(document.body.querySelector('[data-testid="esb-outbound-response"]')).toBeNull()
    expect(document.body.querySelector('[data-testid="esb-outbound-drawer"]')?.textContent).toContain('未记录')
  })

  it('shows the empty state', async () => {
    vi.mocked(listOutbound).mockResolvedValue({ items: [], total: 0 })
    const w = await mountAt('/esb/outbound?notification_id=5', [PERMISSIONS.esbOutboundView])
    expect(w.find('[data-testid="esb-outbound-table"]').text()).toContain('没有符合条件的记录')
  })
})
