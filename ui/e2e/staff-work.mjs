// Browser test of what bank staff stumbled on (issue 15, items 1, 2, 3 and 7), against a running Quanyi
// server with its demo bank (run by tests/dev-smoke.sh after the smoke test, on the same server):
//   1. business numbers — 流程监控 › 业务编号 finds a campaign by the last digits of its number; the inbox and
//      the review list show the number (HD…), not a UUID; 权益发放明细查询 › 活动编号 takes the number;
//   2. a returned campaign is its planner's task — after 退回修改 the planner's 待办 has it with the reason,
//      去修改 lands on the campaign with the reason at the top, and submitting again closes the task;
//   3. 已办 is sorted by 办结时间, newest first — a task that arrived first but was decided last comes first;
//   7. the auditor's 操作日志 names every action from one catalogue (the 操作 filter lists them all), shows
//      the object by its business number and a record's before/after as named fields.
// Each step would fail before the change it checks. Screenshots at 1440×900 in ui/e2e/screenshots/
// (staff-*.png). Setup (two campaigns with customer lists, one coupon of the first) goes through the API as
// the planner and, for the coupon, psql (removed again after its check: it has no stock movement);
// the checks go through the pages.
//
// The auditor's second factor: the smoke test enrolled it with a secret only that run knew, so this test
// clears it in the database (as 重置动态口令 would for a lost device) and enrols the auditor again.
//
//   QUANYI_URL=http://127.0.0.1:8080 QUANYI_PASSWORD=Quanyi@2026 \
//   QUANYI_DATABASE_URL=postgres://quanyi:...@127.0.0.1:5432/quanyi node e2e/staff-work.mjs
//   optional: SCREENSHOT_DIR (default ui/e2e/screenshots), CHROMIUM_PATH (default /usr/bin/chromium)
import { mkdir } from 'node:fs/promises'
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'
import { captchaAnswer, psqlValue, totpCode, totpStep } from './smoke.mjs'

const STEP_TIMEOUT_MS = 15_000

function env(name) {
  const value = process.env[name]
  if (!value) {
    console.error(`staff-work: environment variable ${name} is required`)
    process.exit(2)
  }
  return value
}

const baseUrl = env('QUANYI_URL').replace(/\/+$/, '')
const password = env('QUANYI_PASSWORD')
env('QUANYI_DATABASE_URL')
const screenshotDir = resolve(process.env.SCREENSHOT_DIR || fileURLToPath(new URL('./screenshots/', import.meta.url)))
const executablePath = process.env.CHROMIUM_PATH || '/usr/bin/chromium'

/** Problems seen by the listeners; any of them fails the step. */
const problems = []
let sessionOpen = false
let stepCount = 0

function pathOf(url) {
  try {
    return new URL(url).pathname
  } catch {
    return url
  }
}

async function step(name, fn) {
  stepCount += 1
  const started = Date.now()
  try {
    await fn()
  } catch (err) {
    throw new Error(`step "${name}" failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err })
  }
  if (problems.length > 0) throw new Error(`step "${name}" saw problems:\n  - ${problems.join('\n  - ')}`)
  console.log(`  ✓ ${name} (${Date.now() - started} ms)`)
}

async function shot(page, name) {
  await page.mouse.move(0, 0)
  await page.screenshot({ path: resolve(screenshotDir, `${name}.png`), fullPage: true, animations: 'disabled' })
}

async function loaded(page, selector) {
  await page.waitForFunction(
    (sel) => [...document.querySelectorAll(`${sel} .el-loading-mask`)].every((m) => m.offsetParent === null || getComputedStyle(m).opacity === '0'),
    selector,
  )
}

function tableRows(page, testId, text) {
  const rows = page.locator(`[data-testid="${testId}"] .el-table__body tr.el-table__row`)
  return text === undefined ? rows : rows.filter({ hasText: text })
}

async function clickFor(page, button, method, path) {
  const [response] = await Promise.all([
    page.waitForResponse((res) => res.request().method() === method && path.test(pathOf(res.url()))),
    button.click(),
  ])
  if (response.status() >= 300) throw new Error(`${method} ${pathOf(response.url())} answered ${response.status()}: ${await response.text().catch(() => '')}`)
  return response
}

/** Signs `name` in from the login page; enrols a second factor when the server asks for one. */
async function signIn(page, name) {
  await page.goto(`${baseUrl}/login`)
  const img = page.getByTestId('captcha-image')
  await img.waitFor({ state: 'visible' })
  const id = await img.getAttribute('data-captcha-id')
  await page.getByTestId('login-username').fill(name)
  await page.getByTestId('login-password').fill(password)
  await page.getByTestId('login-captcha').fill(await captchaAnswer(id))
  const [response] = await Promise.all([
    page.waitForResponse((res) => pathOf(res.url()) === '/api/v1/auth/login'),
    page.getByTestId('login-submit').click(),
  ])
  if (response.status() !== 200) throw new Error(`login of ${name} answered ${response.status()}: ${await response.text().catch(() => '')}`)
  sessionOpen = true
  const answer = await response.json()
  if (answer.second_factor === 'enrol') await enrol(page)
  else if (answer.second_factor === 'verify') throw new Error(`${name} has a second factor this test does not know`)
  await page.waitForURL((url) => url.pathname === '/home')
}

/** The enrolment page: the secret, a first code, the recovery codes acknowledged, then home. */
async function enrol(page) {
  await page.waitForURL((url) => url.pathname === '/account/totp-enrol')
  await page.waitForFunction(() => /^([A-Z2-7]{4} )*[A-Z2-7]{1,4}$/.test(document.querySelector('[data-testid="totp-secret"]')?.textContent?.trim() ?? ''))
  const shown = ((await page.getByTestId('totp-secret').textContent()) ?? '').trim()
  const secret = shown.replace(/\s/g, '')
  await page.getByTestId('totp-next').click()
  await page.getByTestId('totp-code').fill(totpCode(secret, totpStep()))
  await clickFor(page, page.getByTestId('totp-confirm'), 'POST', /\/api\/v1\/auth\/totp\/enrolment\/confirm$/)
  await page.getByTestId('totp-recovery-code').first().waitFor({ state: 'visible' })
  await page.getByTestId('totp-ack').click()
  await page.getByTestId('totp-finish').click()
}

async function signOut(page) {
  const response = await page.request.post(`${baseUrl}/api/v1/auth/logout`, { headers: { 'x-requested-with': 'quanyi' } })
  if (response.status() !== 204) throw new Error(`logout answered ${response.status()}`)
  sessionOpen = false
}

/** A JSON call with the page's session (the setup and a few reads of what the page should show). */
async function api(page, method, path, body) {
  const response = await page.request.fetch(`${baseUrl}${path}`, {
    method,
    headers: { 'x-requested-with': 'quanyi', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    data: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  })
  if (response.status() >= 300) throw new Error(`${method} ${path} answered ${response.status()}: ${await response.text()}`)
  return response.status() === 204 ? null : await response.json()
}

/** A draft with a three-customer list, as the planner, named `name`; its id and business number. */
async function draft(page, name, org) {
  const start = new Date(Date.now() + 3 * 86_400_000)
  const end = new Date(start.getTime() + 7 * 86_400_000)
  const created = await api(page, 'POST', '/api/v1/campaigns', {
    name,
    type: 'grant',
    org_id: org,
    channels: ['mobile_banking'],
    start_at: start.toISOString(),
    end_at: end.toISOString(),
    success_criteria: '',
    description: '',
    rules: [{ name: '满减券', budget_fen: 1_000_000 }],
  })
  const upload = await page.request.post(`${baseUrl}/api/v1/campaigns/${created.id}/customers`, {
    headers: { 'x-requested-with': 'quanyi', 'content-type': 'text/csv; charset=utf-8' },
    data: 'customer_no\nC000000001\nC000000002\nC000000003\n',
  })
  if (upload.status() !== 200) throw new Error(`the customer list answered ${upload.status()}`)
  return { id: created.id, code: created.code }
}

/** The texts of `testId` elements in the rows of table `table`, in order. */
async function cells(page, table, testId) {
  return (await page.locator(`[data-testid="${table}"] .el-table__body [data-testid="${testId}"]`).allInnerTexts()).map((s) => s.trim())
}

async function openTab(page, tab) {
  await Promise.all([page.waitForResponse((res) => pathOf(res.url()) === '/api/v1/tasks' && res.request().method() === 'GET'), page.getByTestId(`task-tab-${tab}`).click()])
  await loaded(page, '[data-testid="tasks-table"]')
}

async function main() {
  await mkdir(screenshotDir, { recursive: true })
  console.log(`staff-work: ${baseUrl}, Chromium ${executablePath}, screenshots in ${screenshotDir}`)
  const browser = await chromium.launch({
    executablePath,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  })
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' })
  context.setDefaultTimeout(STEP_TIMEOUT_MS)
  const page = await context.newPage()
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return
    if (/^Failed to load resource: the server responded with a status of \d+/.test(msg.text())) return
    problems.push(`console error: ${msg.text()}`)
  })
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`))
  page.on('response', (res) => {
    const status = res.status()
    if (status < 400) return
    if (status === 401 && !sessionOpen && pathOf(res.url()) === '/api/v1/auth/me') return
    problems.push(`HTTP ${status} ${res.request().method()} ${res.url()}`)
  })

  const suffix = Math.random().toString(36).slice(2, 8)
  const first = `员工待办甲-${suffix}`
  const second = `员工待办乙-${suffix}`
  const org = await psqlValue("SELECT id FROM orgs WHERE code = 'SB0101'")
  let a
  let b

  await step('setup: the planner drafts two campaigns (甲 then 乙) and submits both; a coupon of 甲', async () => {
    await signIn(page, 'planner')
    a = await draft(page, first, org)
    b = await draft(page, second, org)
    for (const c of [a, b]) await api(page, 'POST', `/api/v1/campaigns/${c.id}/submit`, {})
    if (!/^HD\d{14}$/.test(a.code) || !/^HD\d{14}$/.test(b.code)) throw new Error(`the numbers are ${a.code}, ${b.code}`)
    const coupon = `SW${suffix.toUpperCase().replace(/[^0-9A-Z]/g, '0').padEnd(6, '0')}00000001`.slice(0, 16)
    const inserted = await psqlValue(
      `INSERT INTO coupons (code, template_id, customer_no, client_id, campaign_id, claimed_at, valid_from, valid_to)
       SELECT '${coupon}', t.id, 'C000000001', c.id, '${a.id}', now(), now(), now() + interval '30 days'
         FROM coupon_templates t, api_clients c ORDER BY t.code, c.code LIMIT 1 RETURNING code`,
    )
    if (inserted !== coupon) throw new Error(`the coupon was not inserted: ${inserted}`)
  })

  await step('1. 权益发放明细查询 › 活动编号 takes the business number and shows it (no "须为 UUID 格式")', async () => {
    await page.goto(`${baseUrl}/benefit/coupons`)
    await page.getByTestId('coupon-search-campaign').fill(a.code)
    await clickFor(page, page.getByTestId('coupon-search-submit'), 'GET', /^\/api\/v1\/benefits\/coupons$/)
    await loaded(page, '[data-testid="coupons-table"]')
    const shown = await cells(page, 'coupons-table', 'coupon-campaign-code')
    if (shown.length !== 1 || shown[0] !== a.code) throw new Error(`the coupons of ${a.code} show campaigns ${JSON.stringify(shown)}`)
    await shot(page, 'staff-01-coupons-by-number')
    // the coupon was written past the claim path (no stock movement): it goes, so the stock audit
    // dev-smoke runs on this database later still balances
    const removed = await psqlValue(`DELETE FROM coupons WHERE campaign_id = '${a.id}' RETURNING code`)
    if (!removed) throw new Error('the setup coupon was not removed')
    await signOut(page)
  })

  await step('1. 流程监控 › 业务编号 finds 甲 by the last six digits of its number', async () => {
    await signIn(page, 'monitor')
    await page.goto(`${baseUrl}/processes`)
    await loaded(page, '[data-testid="processes-table"]')
    await page.getByTestId('process-search-key').fill(a.code.slice(-6))
    await clickFor(page, page.getByTestId('process-search-submit'), 'GET', /^\/api\/v1\/processes$/)
    await loaded(page, '[data-testid="processes-table"]')
    const shown = await cells(page, 'processes-table', 'process-business-no')
    if (!shown.includes(a.code) || shown.some((n) => !n.includes(a.code.slice(-6)))) throw new Error(`part of ${a.code} finds ${JSON.stringify(shown)}`)
    const text = await page.getByTestId('processes-table').innerText()
    if (/[0-9a-f]{8}-[0-9a-f]{4}-/.test(text)) throw new Error('the monitor shows a UUID')
    await shot(page, 'staff-02-monitor-by-part-of-number')
    await signOut(page)
  })

  await step('1. the reviewer’s 待办 shows the numbers, never a UUID; 3. decide 乙 first, then return 甲', async () => {
    await signIn(page, 'reviewer1')
    await page.goto(`${baseUrl}/tasks`)
    await tableRows(page, 'tasks-table', first).first().waitFor()
    const numbers = await cells(page, 'tasks-table', 'task-business-no')
    for (const c of [a.code, b.code]) if (!numbers.includes(c)) throw new Error(`the inbox shows ${JSON.stringify(numbers)}, not ${c}`)
    if (/[0-9a-f]{8}-[0-9a-f]{4}-/.test(await page.getByTestId('tasks-table').innerText())) throw new Error('the inbox shows a UUID')
    await shot(page, 'staff-03-reviewer-todo-numbers')
    // 乙 arrived after 甲; 乙 is decided first
    await tableRows(page, 'tasks-table', second).first().getByTestId('task-handle').click()
    await page.getByTestId('decision-dialog').waitFor({ state: 'visible' })
    await page.getByTestId('decision-comment').fill('同意')
    await clickFor(page, page.getByTestId('decision-submit'), 'POST', /\/api\/v1\/tasks\/[^/]+\/decision$/)
    await page.getByTestId('decision-dialog').waitFor({ state: 'hidden' })
    await page.waitForTimeout(1100)
    // 甲 goes back to the planner
    await tableRows(page, 'tasks-table', first).first().getByTestId('task-handle').click()
    await page.getByTestId('decision-dialog').waitFor({ state: 'visible' })
    await page.getByTestId('decision-return').click()
    await page.getByTestId('decision-comment').fill('预算过高，请调整后再提交')
    await clickFor(page, page.getByTestId('decision-submit'), 'POST', /\/api\/v1\/tasks\/[^/]+\/decision$/)
    await page.getByTestId('decision-dialog').waitFor({ state: 'hidden' })
  })

  await step('3. 已办 lists 甲 (decided last) before 乙 (decided first, arrived later): newest 办结时间 first', async () => {
    await openTab(page, 'done')
    const numbers = await cells(page, 'tasks-table', 'task-business-no')
    const ia = numbers.indexOf(a.code)
    const ib = numbers.indexOf(b.code)
    if (ia !== 0 || ib !== 1) throw new Error(`已办 lists ${JSON.stringify(numbers.slice(0, 4))}: 甲 ${a.code} should be first, 乙 ${b.code} second`)
    const closed = (await page.locator('[data-testid="tasks-table"] .el-table__body tr.el-table__row td:nth-last-child(2)').allInnerTexts()).map((s) => s.trim())
    const sorted = [...closed].sort().reverse()
    if (JSON.stringify(closed) !== JSON.stringify(sorted)) throw new Error(`办结时间 is not newest first: ${JSON.stringify(closed)}`)
    await shot(page, 'staff-04-done-by-closing-time')
    await signOut(page)
  })

  await step('2. the planner’s 待办 has 甲, returned, with the reviewer’s reason; 去修改 shows it at the top', async () => {
    await signIn(page, 'planner')
    await page.goto(`${baseUrl}/tasks`)
    const row = tableRows(page, 'tasks-table', first).first()
    await row.waitFor()
    const reason = (await row.getByTestId('task-return-reason').innerText()).trim()
    if (!reason.includes('预算过高，请调整后再提交') || !reason.includes('reviewer1')) throw new Error(`the row says "${reason}"`)
    if ((await row.getByTestId('task-level').innerText()).trim() !== '退回修改') throw new Error('the row is not marked 退回修改')
    if ((await row.getByTestId('task-business-no').innerText()).trim() !== a.code) throw new Error('the row does not show the number')
    await shot(page, 'staff-05-planner-todo-returned')
    await row.getByTestId('task-mend').click()
    await page.waitForURL((url) => url.pathname === `/campaign/${a.id}`)
    const alert = page.getByTestId('campaign-returned')
    await alert.waitFor()
    const box = await alert.boundingBox()
    const rules = await page.getByTestId('campaign-rules').boundingBox()
    if (!box || !rules || box.y > rules.y || box.y > 300) throw new Error('the reason is not at the top of the page')
    const text = (await page.getByTestId('campaign-returned-reason').innerText()).trim()
    if (!text.includes('预算过高，请调整后再提交')) throw new Error(`the page says "${text}"`)
    await page.waitForLoadState('networkidle')
    await shot(page, 'staff-06-campaign-returned-reason')
  })

  await step('2. submitting again closes the planner’s task: 待办 is clear of it, 已办 has it (已重新提交)', async () => {
    await page.getByTestId('campaign-action-submit').click()
    await page.getByTestId('operate-dialog').waitFor({ state: 'visible' })
    await clickFor(page, page.getByTestId('operate-submit'), 'POST', /\/submit$/)
    // the page reloads what the server says now: in review, the reason gone
    await page.getByTestId('campaign-returned').waitFor({ state: 'detached' })
    await page.getByTestId('campaign-action-withdraw').waitFor({ state: 'visible' })
    await page.goto(`${baseUrl}/tasks`)
    await loaded(page, '[data-testid="tasks-table"]')
    await page.waitForLoadState('networkidle')
    if (await tableRows(page, 'tasks-table', first).count()) throw new Error('甲 is still in the planner’s 待办')
    await openTab(page, 'done')
    const row = tableRows(page, 'tasks-table', first).first()
    await row.waitFor()
    if (!(await row.innerText()).includes('已重新提交')) throw new Error(`the done row reads ${(await row.innerText()).replace(/\s+/g, ' ')}`)
    await shot(page, 'staff-07-planner-done-resubmitted')
    await signOut(page)
  })

  await step('7. 操作日志: every action in the 操作 filter, named; the object by number; before/after as fields', async () => {
    await psqlValue(
      "UPDATE users SET totp_secret = NULL, totp_enabled_at = NULL, totp_pending_secret = NULL, totp_last_step = NULL WHERE username = 'auditor' RETURNING username",
    )
    await signIn(page, 'auditor')
    const catalogue = await api(page, 'GET', '/api/v1/system/audit-actions')
    await page.goto(`${baseUrl}/system/audit-log`)
    await loaded(page, '[data-testid="audit-log-table"]')
    await page.getByTestId('audit-log-action').click()
    const options = page.locator('.audit-log__action-popper .el-select-dropdown__item')
    await options.first().waitFor()
    const count = await options.count()
    if (count !== catalogue.actions.length || count < 40) throw new Error(`the 操作 filter lists ${count} actions, the catalogue ${catalogue.actions.length}`)
    await Promise.all([
      page.waitForResponse((res) => pathOf(res.url()) === '/api/v1/system/audit-log' && new URL(res.url()).searchParams.get('action') === 'process.action.take'),
      options.filter({ hasText: '流程办理' }).first().click(),
    ])
    await loaded(page, '[data-testid="audit-log-table"]')
    const row = tableRows(page, 'audit-log-table', a.code).first()
    await row.waitFor()
    const label = (await row.getByTestId('audit-log-action-label').innerText()).trim()
    if (label !== '流程办理') throw new Error(`the action reads "${label}"`)
    const tableText = await page.getByTestId('audit-log-table').innerText()
    if (/campaign-[0-9a-f]{8}-/.test(tableText)) throw new Error('the log shows campaign-<uuid>')
    await shot(page, 'staff-08-audit-log-named')
    // the return of 甲: its record, expanded
    const returned = tableRows(page, 'audit-log-table', a.code).filter({ hasText: 'reviewer1' }).first()
    await returned.locator('.el-table__expand-icon').click()
    const diff = page.getByTestId('audit-log-diff').first()
    await diff.waitFor()
    const fields = (await diff.getByTestId('audit-log-field').allInnerTexts()).map((s) => s.trim())
    const after = (await diff.getByTestId('audit-log-after').allInnerTexts()).map((s) => s.trim())
    if (!fields.includes('操作') || !fields.includes('意见')) throw new Error(`the record names fields ${JSON.stringify(fields)}`)
    if (!after.includes('退回修改') || !after.some((v) => v.includes('预算过高'))) throw new Error(`the record's after reads ${JSON.stringify(after)}`)
    if (await page.locator('[data-testid="audit-log-detail"] pre').count()) throw new Error('the record shows raw JSON')
    await shot(page, 'staff-09-audit-log-before-after')
    await signOut(page)
  })

  await browser.close()
  console.log(`staff-work: ${stepCount} steps passed`)
}

main().catch((err) => {
  console.error(`staff-work: ${err instanceof Error ? err.stack : String(err)}`)
  process.exit(1)
})
