// Browser test of 商户线上入驻 (issue 16) against a running Quanyi server with its demo bank: an applicant on a
// phone-sized screen (375×812) comes from the sign-in page's link, proves a phone by captcha and SMS code (the
// code read where the e2e scripts read such things: the outbox row, with psql, opened under the dev stack's
// data key), fills the form — a mistyped credit code refused with the server's own message before anything is sent — uploads a licence and an ID
// photo (thumbnails shown), and submits. reviewer1 (初审) opens the task from 待办任务 and approves on the
// application's page; reviewer2 (复核) approves from the inbox's 办理. The worker provisions the merchant (the
// dev stack's stand-in core confirms the account) and the applicant sees 已开通 with the history. The new
// merchant administrator signs in with the one-time password from the SMS (opened under the data key, as the
// sender does), must change it, sees 我的商户 (and none of the staff's menus): 我的入驻申请, 门店, 商户权益,
// 核销记录, then adds a cashier. Screenshots in ui/e2e/screenshots/ (onboarding-*.png).
//
//   QUANYI_URL=http://127.0.0.1:8080 QUANYI_PASSWORD=Quanyi@2026 \
//   QUANYI_DATABASE_URL=postgres://quanyi:...@127.0.0.1:5432/quanyi QUANYI_DATA_KEY_FILE=var/secrets/data-key \
//   node e2e/onboarding.mjs
//   optional: SCREENSHOT_DIR (default ui/e2e/screenshots), CHROMIUM_PATH (default /usr/bin/chromium)
import { mkdir } from 'node:fs/promises'
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { deflateSync } from 'node:zlib'
import { chromium } from 'playwright-core'
import { captchaAnswer, psqlValue, sealedParams } from './smoke.mjs'

const STEP_TIMEOUT_MS = 15_000
/** Provisioning runs in the worker after the second approval. */
const OPENED_TIMEOUT_MS = 60_000

function env(name) {
  const value = process.env[name]
  if (!value) {
    console.error(`onboarding: environment variable ${name} is required`)
    process.exit(2)
  }
  return value
}

const baseUrl = env('QUANYI_URL').replace(/\/+$/, '')
const password = env('QUANYI_PASSWORD')
env('QUANYI_DATABASE_URL')
env('QUANYI_DATA_KEY_FILE')
const screenshotDir = resolve(process.env.SCREENSHOT_DIR || fileURLToPath(new URL('./screenshots/', import.meta.url)))
const executablePath = process.env.CHROMIUM_PATH || '/usr/bin/chromium'

const problems = []

function pathOf(url) {
  try {
    return new URL(url).pathname
  } catch {
    return url
  }
}

async function step(name, fn) {
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
  // from the top, so the sticky bars stand where a reader meets them; the toasts gone
  await page.evaluate(() => window.scrollTo(0, 0))
  await page.locator('.el-message').first().waitFor({ state: 'detached', timeout: 5_000 }).catch(() => {})
  await page.screenshot({ path: resolve(screenshotDir, `onboarding-${name}.png`), fullPage: true, animations: 'disabled' })
}

function watch(page, expected = () => false) {
  page.setDefaultTimeout(STEP_TIMEOUT_MS)
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`))
  page.on('console', (msg) => {
    // a refused request is reported by the browser too; the response handler judges those
    if (msg.type() === 'error' && !msg.text().startsWith('Failed to load resource')) problems.push(`console error: ${msg.text()}`)
  })
  page.on('response', (res) => {
    const path = pathOf(res.url())
    if (res.status() >= 400 && path !== '/api/v1/auth/me' && !expected(path, res.status())) problems.push(`${res.status()} ${res.request().method()} ${path}`)
  })
}

// A real PNG (the server decodes images to strip their metadata): `width`×`height` of one colour.
const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
  return c >>> 0
})
function crc32(bytes) {
  let c = 0xffffffff
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8)
  return (c ^ 0xffffffff) >>> 0
}
function chunk(type, data) {
  const head = Buffer.alloc(8)
  head.writeUInt32BE(data.length, 0)
  head.write(type, 4, 'ascii')
  const crc = Buffer.alloc(4)
  crc.writeUInt32BE(crc32(Buffer.concat([Buffer.from(type, 'ascii'), data])), 0)
  return Buffer.concat([head, data, crc])
}
function png(width, height, [r, g, b]) {
  const ihdr = Buffer.alloc(13)
  ihdr.writeUInt32BE(width, 0)
  ihdr.writeUInt32BE(height, 4)
  ihdr[8] = 8 // bit depth
  ihdr[9] = 2 // RGB
  const row = Buffer.concat([Buffer.from([0]), Buffer.from(Array.from({ length: width }, () => [r, g, b]).flat())])
  const raw = Buffer.concat(Array.from({ length: height }, (_, y) => (y % 8 < 4 ? row : Buffer.concat([Buffer.from([0]), Buffer.alloc(width * 3, 230)]))))
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))])
}

/** Fills the input of `testId` (Element Plus puts the test id on the input or on its wrapper). */
async function fill(page, testId, value) {
  const target = page.getByTestId(testId).first()
  const tag = await target.evaluate((el) => el.tagName)
  await (tag === 'INPUT' || tag === 'TEXTAREA' ? target : target.locator('input')).fill(value)
}

async function clickFor(page, button, method, path) {
  const [response] = await Promise.all([
    page.waitForResponse((res) => res.request().method() === method && path.test(pathOf(res.url()))),
    button.click(),
  ])
  if (response.status() >= 300) throw new Error(`${method} ${pathOf(response.url())} answered ${response.status()}: ${await response.text().catch(() => '')}`)
  return response
}

async function signIn(page, name, secret = password, landing = '/home') {
  await page.goto(`${baseUrl}/login`)
  const img = page.getByTestId('captcha-image')
  await img.waitFor({ state: 'visible' })
  const id = await img.getAttribute('data-captcha-id')
  await page.getByTestId('login-username').fill(name)
  await page.getByTestId('login-password').fill(secret)
  await page.getByTestId('login-captcha').fill(await captchaAnswer(id))
  const [response] = await Promise.all([
    page.waitForResponse((res) => pathOf(res.url()) === '/api/v1/auth/login'),
    page.getByTestId('login-submit').click(),
  ])
  if (response.status() !== 200) throw new Error(`login of ${name} answered ${response.status()}`)
  await page.waitForURL((url) => url.pathname === landing)
}

/** Opens a page of 我的商户 from the side menu. */
async function openPortalPage(page, key, path) {
  const item = page.getByTestId(`menu-${key}`)
  if (!(await item.isVisible())) await page.locator('[data-testid="menu-merchant-portal"] > .el-sub-menu__title').click()
  await item.waitFor({ state: 'visible' })
  await item.click()
  await page.waitForURL((url) => url.pathname === path)
}

/** The reviewer's open task of the application numbered `no`, in 待办任务: its row. */
async function taskRow(page, no) {
  await page.goto(`${baseUrl}/tasks?tab=todo`)
  await page.getByTestId('tasks-page').waitFor()
  const row = page.locator('[data-testid="tasks-table"] .el-table__body tr.el-table__row', { hasText: no })
  await row.first().waitFor()
  return row.first()
}

async function main() {
  await mkdir(screenshotDir, { recursive: true })
  const browser = await chromium.launch({ executablePath, args: ['--no-sandbox', '--disable-background-networking'] })
  // the applicant's phone: a number of this run, so a rerun applies afresh
  const tag = String(Date.now() % 100_000_000).padStart(8, '0')
  const phone = `139${tag}`
  const applicantContext = await browser.newContext({ viewport: { width: 375, height: 812 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, locale: 'zh-CN' })
  const applicant = await applicantContext.newPage()
  // before the phone is proved, the page asks for its applications once and is told to sign in
  let signedIn = false
  watch(applicant, (path, status) => !signedIn && status === 401 && path === '/api/v1/onboarding/applications')
  let applicationNo = ''
  try {
    await step('the sign-in page links to the applicant page', async () => {
      await applicant.goto(`${baseUrl}/login`)
      await applicant.getByTestId('login-apply').click()
      await applicant.waitForURL((url) => url.pathname === '/apply')
      await applicant.getByTestId('apply-signin').waitFor()
      await applicant.getByTestId('apply-captcha-image').waitFor()
      await shot(applicant, '1-signin')
    })
    await step('the applicant proves the phone with the captcha and the SMS code', async () => {
      await fill(applicant, 'apply-phone', phone)
      const id = await applicant.getByTestId('apply-captcha-image').getAttribute('data-captcha-id')
      await fill(applicant, 'apply-captcha', await captchaAnswer(id))
      await clickFor(applicant, applicant.getByTestId('apply-send-code'), 'POST', /\/api\/v1\/onboarding\/codes$/)
      const key = await psqlValue(
        `SELECT key FROM notifications WHERE recipient = '${phone}' AND key LIKE 'applicant-code/%' ORDER BY id DESC LIMIT 1`,
      )
      const { code } = await sealedParams(key)
      if (!/^[0-9]{6}$/.test(code)) throw new Error(`no code was queued for ${phone}: ${code}`)
      await fill(applicant, 'apply-code', code)
      signedIn = true
      await clickFor(applicant, applicant.getByTestId('apply-signin-submit'), 'POST', /\/api\/v1\/onboarding\/sessions$/)
      await applicant.getByTestId('apply-list').waitFor()
    })
    await step('the form refuses a mistyped credit code with the server\'s message, then takes the application', async () => {
      await applicant.getByTestId('apply-new').click()
      await applicant.getByTestId('apply-form').waitFor()
      await applicant.getByTestId('apply-org').click()
      await applicant.getByTestId('apply-org-BR01').click()
      await fill(applicant, 'apply-legal-name', '城东鲜果商行有限公司')
      await fill(applicant, 'apply-credit-code', '91310000MA1FL0000X')
      await fill(applicant, 'apply-category', '零售')
      const refused = applicant.locator('.el-form-item__error', { hasText: '统一社会信用代码不正确（18 位，含校验码）' })
      await refused.waitFor()
      await fill(applicant, 'apply-credit-code', '91310000MA1FL0000N')
      await fill(applicant, 'apply-category', '零售')
      if (await refused.count()) throw new Error('the corrected credit code is still refused')
      await fill(applicant, 'apply-legal-rep', '张三')
      await fill(applicant, 'apply-id-number', '11010519491231002X')
      await fill(applicant, 'apply-contact-phone', phone)
      await fill(applicant, 'apply-address', '人民路 1 号')
      await fill(applicant, 'apply-store-name', '人民路店')
      await fill(applicant, 'apply-store-address', '人民路 1 号')
      await fill(applicant, 'apply-bank-name', '城东银行')
      await fill(applicant, 'apply-account-name', '城东鲜果商行有限公司')
      await fill(applicant, 'apply-account-no', '6222020200112233445')
      await shot(applicant, '2-form')
    })
    await step('uploads: a licence and an ID photo, shown as thumbnails', async () => {
      // the first upload saves the draft
      await Promise.all([
        applicant.waitForResponse((res) => /\/files$/.test(pathOf(res.url())) && res.request().method() === 'POST'),
        applicant.getByTestId('apply-upload-licence').setInputFiles({ name: 'licence.png', mimeType: 'image/png', buffer: png(240, 160, [29, 91, 168]) }),
      ])
      await applicant.getByTestId('apply-docs-licence').getByTestId('apply-doc-preview').waitFor()
      await Promise.all([
        applicant.waitForResponse((res) => /\/files$/.test(pathOf(res.url())) && res.request().method() === 'POST'),
        applicant.getByTestId('apply-upload-idCard').setInputFiles({ name: 'id-front.png', mimeType: 'image/png', buffer: png(200, 128, [217, 179, 108]) }),
      ])
      await applicant.getByTestId('apply-docs-idCard').getByTestId('apply-doc-preview').waitFor()
      await shot(applicant, '3-uploads')
    })
    await step('the applicant submits: 待初审 with an application number', async () => {
      await applicant.getByTestId('apply-submit').click()
      await clickFor(applicant, applicant.locator('.el-message-box__btns .el-button--primary'), 'POST', /\/submit$/)
      await applicant.getByTestId('apply-status').waitFor()
      applicationNo = ((await applicant.getByTestId('apply-status-no').textContent()) ?? '').trim()
      if (!/^RZ[0-9]+$/.test(applicationNo)) throw new Error(`the application number reads "${applicationNo}"`)
      const state = await applicant.getByTestId('apply-status-state').textContent()
      if (state?.trim() !== '待初审') throw new Error(`the state reads "${state}"`)
      await shot(applicant, '4-submitted')
    })
  } catch (err) {
    await shot(applicant, 'failed-applicant').catch(() => {})
    await browser.close()
    throw err
  }

  // each reviewer in a browser of their own (one session each)
  const staffPage = async () => (await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: 'zh-CN' })).newPage()
  try {
    await step('reviewer1 opens the task from 待办任务 and approves 初审 on the application page', async () => {
      const page = await staffPage()
      watch(page)
      await signIn(page, 'reviewer1')
      const row = await taskRow(page, applicationNo)
      await shot(page, '5-inbox')
      await row.getByTestId('task-title').click()
      await page.getByTestId('application-detail-page').waitFor()
      await page.getByTestId('application-decide').waitFor()
      const id = (await page.getByTestId('application-id-number').textContent())?.trim()
      if (id !== '1101**********002X') throw new Error(`the ID number shows as ${id}`)
      await page.getByTestId('application-files').waitFor()
      await shot(page, '6-review')
      await page.getByTestId('application-decide-approve').click()
      await page.getByTestId('decision-comment').fill('材料齐全')
      await clickFor(page, page.getByTestId('decision-submit'), 'POST', /\/decision$/)
      await page.getByTestId('application-detail-state').getByText('待复核').waitFor()
      await page.close()
    })
    await step('reviewer2 approves 复核 from the inbox', async () => {
      const page = await staffPage()
      watch(page)
      await signIn(page, 'reviewer2')
      const row = await taskRow(page, applicationNo)
      await row.getByTestId('task-handle').click()
      await page.getByTestId('decision-dialog').waitFor()
      await page.getByTestId('decision-comment').fill('同意开户')
      await clickFor(page, page.getByTestId('decision-submit'), 'POST', /\/decision$/)
      await page.goto(`${baseUrl}/merchant/applications`)
      await page.getByTestId('applications-page').waitFor()
      await page.locator('[data-testid="applications-table"] .el-table__body tr.el-table__row', { hasText: applicationNo }).first().waitFor()
      await shot(page, '7-list')
      await page.close()
    })
  } catch (err) {
    await browser.close()
    throw err
  }

  try {
    await step('the applicant sees 已开通 and the history', async () => {
      const deadline = Date.now() + OPENED_TIMEOUT_MS
      for (;;) {
        await applicant.goto(`${baseUrl}/apply`)
        const item = applicant.getByTestId('apply-item').filter({ hasText: applicationNo }).first()
        await item.waitFor()
        if ((await item.getAttribute('data-state')) === 'Opened') {
          await item.click()
          break
        }
        if (Date.now() > deadline) throw new Error(`the application stayed ${await item.getAttribute('data-state')}`)
        await applicant.waitForTimeout(1000)
      }
      await applicant.getByTestId('apply-status-opened').waitFor()
      const state = await applicant.getByTestId('apply-status-state').textContent()
      if (state?.trim() !== '已开通') throw new Error(`the state reads "${state}"`)
      const entries = await applicant.getByTestId('apply-timeline-entry').count()
      if (entries < 5) throw new Error(`the history shows ${entries} steps`)
      const merchants = Number(await psqlValue(`SELECT count(*) FROM merchants WHERE code = 'M${applicationNo.slice(2)}'`))
      if (merchants !== 1) throw new Error(`${merchants} merchants for ${applicationNo}`)
      await shot(applicant, '8-opened')
    })

    const merchantCode = `M${applicationNo.slice(2)}`
    const admin = merchantCode.toLowerCase()
    const adminPassword = `Shop#${tag}`
    const page = await staffPage()
    watch(page)
    await step('the new merchant administrator signs in with the SMS\'d one-time password and must change it', async () => {
      const key = await psqlValue(
        `SELECT n.key FROM notifications n JOIN onboarding_applications a ON n.key = 'onboarding/' || a.id || '/administrator/sms' WHERE a.code = '${applicationNo}'`,
      )
      const { password: oneTime } = await sealedParams(key)
      if (!oneTime || oneTime.length < 8) throw new Error(`no one-time password sealed in ${key}`)
      await signIn(page, admin, oneTime, '/password')
      await page.getByTestId('password-forced').waitFor({ state: 'visible' })
      if (await page.getByTestId('menu-home').count()) throw new Error('the side menu is shown before the password is changed')
      await shot(page, '9-admin-forced-password')
      await page.getByTestId('password-old').fill(oneTime)
      await page.getByTestId('password-new').fill(adminPassword)
      await page.getByTestId('password-confirm').fill(adminPassword)
      await clickFor(page, page.getByTestId('password-submit'), 'POST', /\/api\/v1\/auth\/password$/)
      await page.waitForURL((url) => url.pathname === '/home')
      // the portal's menu, none of the staff's
      await page.getByTestId('menu-merchant-portal').waitFor()
      for (const staffMenu of ['menu-benefit', 'menu-merchant', 'menu-process']) {
        if (await page.getByTestId(staffMenu).count()) throw new Error(`the merchant administrator sees ${staffMenu}`)
      }
      await shot(page, '10-admin-home')
    })
    await step('我的入驻申请 shows the application, masked, with its history', async () => {
      await openPortalPage(page, 'merchant-portal-application', '/merchant/portal/application')
      const no = (await page.getByTestId('portal-application-no').textContent())?.trim()
      if (no !== applicationNo) throw new Error(`the application number reads "${no}"`)
      const account = (await page.getByTestId('portal-application-account-no').textContent())?.trim()
      if (account !== '6222***********3445') throw new Error(`the account number shows as ${account}`)
      const entries = await page.getByTestId('timeline-entry').count()
      if (entries < 5) throw new Error(`the history shows ${entries} steps`)
      await shot(page, '11-portal-application')
    })
    await step('门店 and 商户权益 open with the merchant\'s own rows', async () => {
      await openPortalPage(page, 'merchant-portal-stores', '/merchant/portal/stores')
      // the rows come after the page: wait for the first
      await page.locator('[data-testid="portal-stores-table"] [data-testid="portal-store-code"]').first().waitFor()
      const codes = (await page.locator('[data-testid="portal-stores-table"] [data-testid="portal-store-code"]').allInnerTexts()).map((c) => c.trim())
      if (codes.join(',') !== 'S001') throw new Error(`the stores read ${JSON.stringify(codes)}`)
      await shot(page, '12-portal-stores')
      await openPortalPage(page, 'merchant-portal-benefits', '/merchant/portal/benefits')
      await page.getByTestId('portal-benefits-table').waitFor()
      await page.waitForLoadState('networkidle')
      // the demo bank's coupons name M001 alone: none of them is this merchant's
      const names = await page.locator('[data-testid="portal-benefits-table"] .el-table__body tr.el-table__row').allInnerTexts()
      if (names.some((row) => row.includes('DEMO-'))) throw new Error(`M001's coupons are offered to ${merchantCode}: ${JSON.stringify(names)}`)
      await shot(page, '13-portal-benefits')
    })
    await step('核销记录 opens with its store and time filters', async () => {
      await openPortalPage(page, 'merchant-portal-redemptions', '/benefit/redemptions')
      await page.getByTestId('redemptions-table').waitFor()
      await page.getByTestId('redemption-search-period').waitFor()
      await page.getByTestId('redemptions-export').waitFor()
      await shot(page, '14-portal-redemptions')
    })
    await step('the administrator adds a cashier (a one-time password by SMS)', async () => {
      await openPortalPage(page, 'merchant-users', '/merchant/users')
      await page.getByTestId('clerk-create').click()
      await page.getByTestId('clerk-create-dialog').waitFor()
      await fill(page, 'clerk-username', `${admin}_c1`)
      await fill(page, 'clerk-display-name', '收银员一号')
      await fill(page, 'clerk-phone', `137${tag}`)
      await shot(page, '15-add-cashier')
      await clickFor(page, page.getByTestId('clerk-create-submit'), 'POST', /\/api\/v1\/merchant\/users$/)
      // the list reloads after the answer: wait for the new row
      await page.locator('[data-testid="merchant-users-table"] [data-testid="merchant-user-username"]', { hasText: `${admin}_c1` }).first().waitFor()
      const names = (await page.locator('[data-testid="merchant-users-table"] [data-testid="merchant-user-username"]').allInnerTexts()).map((c) => c.trim())
      if (!names.includes(`${admin}_c1`)) throw new Error(`the cashier is not listed: ${JSON.stringify(names)}`)
      const sealed = await psqlValue(`SELECT sealed_params IS NOT NULL FROM notifications WHERE recipient = '137${tag}' ORDER BY id DESC LIMIT 1`)
      if (sealed !== 't') throw new Error(`the cashier's SMS is not sealed: ${sealed}`)
      await shot(page, '16-cashiers')
    })
  } finally {
    await browser.close()
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err)
  process.exit(1)
})
