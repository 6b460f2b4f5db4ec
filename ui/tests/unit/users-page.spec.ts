import { flushPromises, mount } from '@vue/test-utils'
import type * as ElementPlus from 'element-plus'
import { ElMessageBox } from 'element-plus'
import { createPinia, setActivePinia } from 'pinia'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { listOrgs } from '@/api/system/org'
import { listRoles } from '@/api/system/role'
import { listUsers, resetPassword, unlockUser } from '@/api/system/user'
import { permission } from '@/directives/permission'
import { i18n, setLocale } from '@/locales'
import { PERMISSIONS } from '@/router/menu'
import { useUserStore } from '@/stores/user'
import UsersView from '@/views/system/user/index.vue'
import { makeUser, makeUserRow, orgList, roleList } from './fixtures'

vi.mock('@/api/system/user', () => ({ listUsers: vi.fn(), createUser: vi.fn(), resetPassword: vi.fn(), unlockUser: vi.fn() }))
vi.mock('@/api/system/org', () => ({ listOrgs: vi.fn() }))
vi.mock('@/api/system/role', () => ({ listRoles: vi.fn(), grantRole: vi.fn() }))
vi.mock('element-plus', async (importOriginal) => {
  const actual = await importOriginal<typeof ElementPlus>()
  return { ...actual, ElMessageBox: { ...actual.ElMessageBox, confirm: vi.fn() }, ElMessage: vi.fn() }
})

const ME = '11111111-1111-4111-8111-111111111111'
const ALL = Object.values(PERMISSIONS)

const rows = [
  makeUserRow({ id: ME, username: 'admin', display_name: '系统管理员', org_name: '总行', roles: ['admin'] }),
  makeUserRow({ id: 'u-2', username: 'auditor', display_name: '审计员', org_name: '总行', roles: ['auditor'], locked: true }),
  makeUserRow({ id: 'u-3', username: 'newbie', display_name: '新员工', roles: [], must_change_password: true, status: 'disabled' }),
]

async function mountPage(permissions: string[] = ALL) {
  const pinia = createPinia()
  setActivePinia(pinia)
  useUserStore().setUser(makeUser(permissions, { id: ME, username: 'admin' }))
  const w = mount(UsersView, {
    global: { plugins: [pinia, i18n], directives: { permission }, stubs: { transition: false } },
    attachTo: document.body,
  })
  await flushPromises()
  return w
}

const rowOf = (w: ReturnType<typeof mount>, username: string) =>
  w.findAll('[data-testid="users-table"] .el-table__body tr').find((r) => r.text().includes(username))!

describe('users page', () => {
  beforeEach(() => {
    setLocale('zh-CN')
    document.body.innerHTML = ''
    vi.mocked(listUsers).mockReset().mockResolvedValue({ items: rows, total: 43 })
    vi.mocked(listOrgs).mockReset().mockResolvedValue(orgList)
    vi.mocked(listRoles).mockReset().mockResolvedValue(roleList)
    vi.mocked(resetPassword).mockReset()
    vi.mocked(unlockUser).mockReset()
    vi.mocked(ElMessageBox.confirm).mockReset()
  })

  it('lists users with role names, status and flags, and pages by 20', async () => {
    const w = await mountPage()
    expect(listUsers).toHaveBeenCalledWith({ q: undefined, org_id: undefined, page: 1, page_size: 20 })
    expect(w.findAll('[data-testid="user-username"]').map((c) => c.text())).toEqual(['admin', 'auditor', 'newbie'])
    expect(rowOf(w, 'admin').get('[data-testid="user-roles"]').text()).toBe('系统管理员')
    expect(rowOf(w, 'auditor').get('[data-testid="user-flags"]').text()).toBe('已锁定')
    const newbie = rowOf(w, 'newbie')
    expect(newbie.get('[data-testid="user-roles"]').text()).toBe('未分配')
    expect(newbie.get('[data-testid="user-status"]').text()).toBe('停用')
    expect(newbie.get('[data-testid="user-flags"]').text()).toBe('须改密')
    // 43 users at 20 a page: three pages (Element Plus's own words follow its locale, not set here).
    expect(w.get('[data-testid="users-pagination"]').text()).toContain('43')
    expect(w.findAll('[data-testid="users-pagination"] .el-pager li').map((li) => li.text())).toEqual(['1', '2', '3'])
  })

  it('offers reset and grant on other users only, and unlock only on locked ones', async () => {
    const w = await mountPage()
    expect(w.find('[data-testid="user-create"]').exists()).toBe(true)
    const admin = rowOf(w, 'admin')
    expect(admin.text()).toContain('本人')
    expect(admin.find('[data-testid="user-reset-password"]').exists()).toBe(false)
    expect(admin.find('[data-testid="user-grant-role"]').exists()).toBe(false)
    expect(rowOf(w, 'auditor').find('[data-testid="user-unlock"]').exists()).toBe(true)
    expect(rowOf(w, 'newbie').find('[data-testid="user-unlock"]').exists()).toBe(false)
    expect(rowOf(w, 'newbie').find('[data-testid="user-reset-password"]').exists()).toBe(true)
  })

  it('hides what the user may not do and shows role codes without the role list', async () => {
    const w = await mountPage([PERMISSIONS.systemUserView])
    expect(listRoles).not.toHaveBeenCalled()
    expect(listOrgs).not.toHaveBeenCalled()
    expect(w.find('[data-testid="user-create"]').exists()).toBe(false)
    expect(w.find('[data-testid="user-reset-password"]').exists()).toBe(false)
    expect(w.find('[data-testid="user-unlock"]').exists()).toBe(false)
    expect(w.find('[data-testid="user-search-org"]').exists()).toBe(false)
    expect(rowOf(w, 'admin').get('[data-testid="user-roles"]').text()).toBe('admin')
  })

  it('searches by keyword from page 1', async () => {
    const w = await mountPage()
    const input = w.get('[data-testid="user-search-keyword"]')
    await input.setValue('  审计 ')
    await w.get('[data-testid="user-search"]').trigger('submit')
    await flushPromises()
    expect(listUsers).toHaveBeenLastCalledWith({ q: '审计', org_id: undefined, page: 1, page_size: 20 })
  })

  it('resets a password after confirmation and shows the temporary password', async () => {
    vi.mocked(ElMessageBox.confirm).mockResolvedValueOnce('confirm' as never)
    vi.mocked(resetPassword).mockResolvedValueOnce({ user_id: 'u-3', temporary_password: 'Tmp#0001x' })
    const w = await mountPage()
    await rowOf(w, 'newbie').get('[data-testid="user-reset-password"]').trigger('click')
    await flushPromises()
    expect(vi.mocked(ElMessageBox.confirm).mock.calls[0]?.[0]).toContain('新员工（newbie）')
    expect(resetPassword).toHaveBeenCalledWith('u-3')
    expect(document.body.querySelector('[data-testid="temporary-password"]')?.textContent?.trim()).toBe('Tmp#0001x')
  })

  it('does nothing when the reset is cancelled; unlocks by username after confirmation', async () => {
    vi.mocked(ElMessageBox.confirm).mockRejectedValueOnce('cancel')
    const w = await mountPage()
    await rowOf(w, 'newbie').get('[data-testid="user-reset-password"]').trigger('click')
    await flushPromises()
    expect(resetPassword).not.toHaveBeenCalled()

    vi.mocked(ElMessageBox.confirm).mockResolvedValueOnce('confirm' as never)
    vi.mocked(unlockUser).mockResolvedValueOnce(undefined)
    await rowOf(w, 'auditor').get('[data-testid="user-unlock"]').trigger('click')
    await flushPromises()
    expect(unlockUser).toHaveBeenCalledWith('auditor')
    expect(listUsers).toHaveBeenCalledTimes(2)
  })
})
