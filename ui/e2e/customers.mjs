// Browser test of 客户管理 (issue 17) against a running Quanyi server with its demo bank: the planner imports
// a small daily extract through 导入客户 (the report names the refused line), finds a customer by a whole
// phone number (the row masked), gives the customer points through the API, opens the customer's page
// (profile masked, the points balance and history), presses 显示 (the whole values; the server audits it)
// and 隐藏. Screenshots at 1440×900 in ui/e2e/screenshots/ (customer-*.png).
//
//   QUANYI_URL=http://127.0.0.1:8080 QUANYI_PASSWORD=Quanyi@2026 \
//   QUANYI_DATABASE_URL=postgres://quanyi:...@127.0.0.1:5432/quanyi node e2e/customers.mjs
//   optional: SCREENSHOT_DIR (default ui/e2e/screenshots), CHROMIUM_PATH (default /usr/bin/chromium)
import { mkdir } from 'node:fs/promises'
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'
import { captchaAnswer, psqlValue } from './smoke.mjs'

const STEP_TIMEOUT_MS = 15_000

function env(name) {
  const value = process.env[name]
  if (!value) {
    console.error(`customers: environment variable ${name} is required`)
    process.exit(2)
  }
  return value
}

const baseUrl = env('QUANYI_URL').replace(/\/+$/, '')
const password = env('QUANYI_PASSWORD')
env('QUANYI_DATABASE_URL')
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
  await page.screenshot({ path: resolve(screenshotDir, `${name}.png`), fullPage: true, animations: 'disabled' })
}

async function clickFor(page, button, method, path) {
  const [response] = await Promise.all([
    page.waitForResponse((res) => res.request().method() === method && path.test(pathOf(res.url()))),
    button.click(),
  ])
  if (response.status() >= 300) throw new Error(`${method} ${pathOf(response.url())} answered ${response.status()}: ${await response.text().catch(() => '')}`)
  return response
}

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
  if (response.status() !== 200) throw new Error(`login of ${name} answered ${response.status()}`)
  await page.waitForURL((url) => url.pathname === '/home')
}

async function api(page, method, path, body) {
  const response = await page.request.fetch(`${baseUrl}${path}`, {
    method,
    headers: { 'x-requested-with': 'quanyi', 'content-type': 'application/json' },
    data: JSON.stringify(body),
  })
  if (response.status() >= 300) throw new Error(`${method} ${path} answered ${response.status()}: ${await response.text()}`)
  return await response.json()
}

async function main() {
  await mkdir(screenshotDir, { recursive: true })
  const browser = await chromium.launch({ executablePath, args: ['--no-sandbox'] })
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 }, locale: 'zh-CN' })
  page.setDefaultTimeout(STEP_TIMEOUT_MS)
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`))
  page.on('console', (msg) => {
    // the browser's own line for an answer >= 400: the response handler below judges those
    if (/^Failed to load resource: the server responded with a status of \d+/.test(msg.text())) return
    if (msg.type() === 'error') problems.push(`console error: ${msg.text()}`)
  })
  page.on('response', (res) => {
    if (res.status() >= 400 && pathOf(res.url()) !== '/api/v1/auth/me') problems.push(`${res.status()} ${res.request().method()} ${pathOf(res.url())}`)
  })
  // a number of this run: a rerun of the test imports other customers
  const tag = String(Date.now() % 100_000_000).padStart(8, '0')
  const customer = `C7${tag}`
  const phone = `137${tag}`
  try {
    await step('the planner signs in and opens 客户信息', async () => {
      await signIn(page, 'planner')
      await page.goto(`${baseUrl}/customer/list`)
      await page.getByTestId('customer-list-page').waitFor()
    })
    await step('导入客户: the report names the refused line', async () => {
      await page.getByTestId('customer-import').click()
      const csv = [
        'customer_no,org_code,name,phone,id_number,card_numbers,status,opened_on',
        `${customer},SB0101,欧阳娜娜,${phone},110101199003074477,6222021234567890128,active,2015-03-02`,
        `C8${tag},SB0101,李四,12345,,,active,`,
      ].join('\n')
      const chooser = page.getByTestId('customer-import-file')
      await Promise.all([
        page.waitForResponse((res) => pathOf(res.url()) === '/api/v1/customers/imports'),
        chooser.setInputFiles({ name: 'daily.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) }),
      ])
      const summary = await page.getByTestId('customer-import-summary').textContent()
      if (!summary?.includes('新增 1') || !summary.includes('拒绝 1')) throw new Error(`the report says: ${summary}`)
      const rejects = await page.getByTestId('customer-import-rejects').textContent()
      if (!rejects?.includes('QY-CUST-0105')) throw new Error(`the refused line: ${rejects}`)
      await shot(page, 'customer-import')
      await page.keyboard.press('Escape')
    })
    await step('a whole phone number finds the customer, masked', async () => {
      await page.getByTestId('customer-search-phone').fill(phone)
      await clickFor(page, page.getByTestId('customer-search-phone-submit'), 'POST', /\/api\/v1\/customers\/phone-lookup$/)
      const shown = await page.getByTestId('customer-phone').first().textContent()
      if (shown !== `137****${tag.slice(4)}`) throw new Error(`the phone shows as ${shown}`)
      if (page.url().includes(phone)) throw new Error('the phone number reached the URL')
      await shot(page, 'customer-list')
    })
    await step('the customer earns points; the page shows them, masked', async () => {
      const org = await psqlValue("SELECT id FROM orgs WHERE code = 'SB0101'")
      await api(page, 'POST', '/api/v1/points/earnings', { request_id: `customer-e2e-${tag}`, customer_no: customer, org_id: org, points: 800, memo: '开户礼' })
      await page.getByTestId('customer-open').first().click()
      await page.getByTestId('customer-detail-page').waitFor()
      await page.getByTestId('customer-points-posted').getByText('800').waitFor()
      const name = await page.getByTestId('customer-name').textContent()
      if (name !== '欧***') throw new Error(`the name shows as ${name}`)
      await page.getByTestId('customer-points-table').getByText('开户礼').waitFor()
      await shot(page, 'customer-detail')
    })
    await step('显示 shows the whole values and is audited; 隐藏 masks them again', async () => {
      const before = Number(await psqlValue("SELECT count(*) FROM audit_log WHERE action = 'pii.customer.unmask'"))
      await clickFor(page, page.getByTestId('customer-unmask'), 'GET', /\/personal-data$/)
      await page.getByTestId('customer-phone').getByText(phone).waitFor()
      await shot(page, 'customer-unmasked')
      const after = Number(await psqlValue("SELECT count(*) FROM audit_log WHERE action = 'pii.customer.unmask'"))
      if (after !== before + 1) throw new Error(`audited ${after - before} times`)
      await page.getByTestId('customer-unmask').click()
      await page.getByTestId('customer-phone').getByText(`137****${tag.slice(4)}`).waitFor()
    })
  } finally {
    await browser.close()
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err)
  process.exit(1)
})
