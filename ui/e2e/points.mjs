// Browser test of 积分规则 and 用户等级 (issue 17: BEN-5, BEN-6) against a running Quanyi server with its demo
// bank: the planner creates an earning rule in the UI (the cost sharing must sum to 100: the form says so
// first), the demo core sends a card spend over the ESB (`points.transaction`, signed as `demo_core` with
// the demo bank's derived secret), and the customer's page shows the points, the tier the demo tiers give
// and the upgrade task's progress. 等级体系 and 升级任务 are opened too. On 积分规则's second tab an exchange
// rule is created and quoted (试算); 积分账户 shows the chart over a date range and the ledger's accounts of the
// planner's data scope by unit; 积分流水 is exported right after the sign-in (a fresh step-up) and the file holds
// no customer number unmasked. Screenshots at 1440×900 in ui/e2e/screenshots/ (points-*.png).
//
//   QUANYI_URL=http://127.0.0.1:8080 QUANYI_PASSWORD=Quanyi@2026 \
//   QUANYI_DATABASE_URL=postgres://quanyi:...@127.0.0.1:5432/quanyi node e2e/points.mjs
//   optional: SCREENSHOT_DIR (default ui/e2e/screenshots), CHROMIUM_PATH (default /usr/bin/chromium)
import { createHash, createHmac, randomUUID } from 'node:crypto'
import { mkdir, readFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'
import { captchaAnswer, psqlValue } from './smoke.mjs'

const STEP_TIMEOUT_MS = 15_000

function env(name) {
  const value = process.env[name]
  if (!value) {
    console.error(`points: environment variable ${name} is required`)
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
  await page.waitForLoadState('networkidle')
  await page.screenshot({ path: resolve(screenshotDir, `${name}.png`), fullPage: true, animations: 'disabled' })
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

/** A signed ESB call as the demo core (its secret: SHA-256 of a fixed text and the demo password). */
async function esb(service, body) {
  const secret = createHash('sha256').update(`quanyi-demo-esb:demo_core:${password}`).digest()
  const seq = `E2E-${randomUUID()}`
  const now = new Date()
  const date = now.toISOString().slice(0, 10).replaceAll('-', '')
  const time = now.toISOString().slice(11, 19).replaceAll(':', '')
  const text = JSON.stringify({ sysHead: { serviceCode: service, consumerId: 'demo_core', consumerSeqNo: seq, tranDate: date, tranTime: time }, body })
  const ts = String(Math.floor(Date.now() / 1000))
  const nonce = randomUUID()
  const signature = createHmac('sha256', secret).update(`${ts}\n${nonce}\nPOST\n/esb/v1/${service}\n${text}`).digest('hex')
  const res = await fetch(`${baseUrl}/esb/v1/${service}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json; charset=utf-8', 'x-qy-client': 'demo_core', 'x-qy-timestamp': ts, 'x-qy-nonce': nonce, 'x-qy-signature': signature },
    body: text,
  })
  const answer = await res.json()
  if (answer.sysHead?.retCode !== '000000') throw new Error(`${service} answered ${JSON.stringify(answer)}`)
  return answer.body
}

async function main() {
  await mkdir(screenshotDir, { recursive: true })
  const browser = await chromium.launch({ executablePath, args: ['--no-sandbox', '--disable-background-networking'] })
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 }, locale: 'zh-CN', acceptDownloads: true })
  page.setDefaultTimeout(STEP_TIMEOUT_MS)
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`))
  page.on('console', (msg) => {
    if (/^Failed to load resource: the server responded with a status of \d+/.test(msg.text())) return
    if (msg.type() === 'error') problems.push(`console error: ${msg.text()}`)
  })
  page.on('response', (res) => {
    if (res.status() >= 400 && pathOf(res.url()) !== '/api/v1/auth/me') problems.push(`${res.status()} ${res.request().method()} ${pathOf(res.url())}`)
  })
  // a rule of this run, and a demo customer served by 城东分行营业部 (in the planner's scope)
  const tag = String(Date.now() % 1_000_000).padStart(6, '0')
  const code = `E2E-${tag}`
  const customer = await psqlValue(
    "SELECT c.customer_no FROM customers c JOIN orgs o ON o.id = c.org_id WHERE o.code = 'SB0101' ORDER BY c.customer_no LIMIT 1",
  )
  if (!customer) throw new Error('the demo bank has no customer at SB0101')
  try {
    await step('the planner signs in and opens 积分规则: the demo rules are listed', async () => {
      await signIn(page, 'planner')
      await page.goto(`${baseUrl}/points/rules`)
      await page.getByTestId('point-rules-page').waitFor()
      await page.getByTestId('point-rules-table').getByText('CARD-SPEND').waitFor()
      await shot(page, 'points-rules')
    })
    await step('新增规则: shares not summing to 100 are refused under 成本分摊, then the rule is saved', async () => {
      await page.getByTestId('point-rule-create').click()
      const dialog = page.getByTestId('point-rule-dialog')
      await dialog.waitFor({ state: 'visible' })
      await page.getByTestId('point-rule-form-code').fill(code)
      await page.getByTestId('point-rule-form-name').fill('端到端双倍积分')
      await page.getByTestId('point-rule-form-per-unit').locator('input').fill('2')
      await page.getByTestId('point-rule-form-daily-cap').locator('input').fill('100000')
      const inputs = dialog.locator('.el-date-editor input')
      const fmt = (d) => new Date(d.getTime() + 8 * 3600_000).toISOString().slice(0, 19).replace('T', ' ')
      await inputs.nth(0).fill(fmt(new Date(Date.now() - 86_400_000)))
      await inputs.nth(1).fill(fmt(new Date(Date.now() + 30 * 86_400_000)))
      await inputs.nth(1).press('Enter')
      // the planner's data scope is 城东分行 and below: it bears 70 %, its 营业部 the rest
      await page.getByTestId('point-rule-form-hq-org').click()
      await page.locator('.el-select-dropdown__item:visible').filter({ hasText: /^\s*城东分行\s*$/ }).first().click({ force: true })
      await page.getByTestId('point-rule-form-hq-pct').locator('input').fill('70')
      await page.getByTestId('point-rule-form-branch-org').click()
      await page.locator('.el-select-dropdown__item:visible', { hasText: '城东分行营业部' }).first().click({ force: true })
      await page.getByTestId('point-rule-form-branch-pct').locator('input').fill('20')
      await page.getByTestId('point-rule-form-name').click()
      await page.getByTestId('point-rule-form-save').click()
      await dialog.locator('.el-form-item__error').first().waitFor()
      const sum = await page.getByTestId('point-rule-form-share-sum').textContent()
      if (!sum?.includes('90%')) throw new Error(`the share sum shows ${sum}`)
      await shot(page, 'points-rule-form-shares')
      await page.getByTestId('point-rule-form-branch-pct').locator('input').fill('30')
      await page.getByTestId('point-rule-form-name').click()
      const [saved] = await Promise.all([
        page.waitForResponse((res) => pathOf(res.url()) === '/api/v1/points/rules' && res.request().method() === 'POST'),
        page.getByTestId('point-rule-form-save').click(),
      ])
      if (saved.status() !== 200) throw new Error(`saving answered ${saved.status()}: ${await saved.text()}`)
      await dialog.waitFor({ state: 'hidden' })
      await page.getByTestId('point-rules-table').getByText(code).waitFor()
      await shot(page, 'points-rule-created')
    })
    let earned = 0
    await step('the demo core sends a card spend over the ESB: the new rule pays, in its shares', async () => {
      const answer = await esb('points.transaction', {
        txn_id: `E2E${tag}`,
        customer_no: customer,
        txn_type: 'card_spend',
        amount_fen: 88_800,
        occurred_at: new Date(Date.now() - 60_000).toISOString(),
      })
      const mine = answer.earnings.find((e) => e.rule_code === code)
      if (!mine || mine.points !== 1776) throw new Error(`the earnings: ${JSON.stringify(answer.earnings)}`)
      const shares = mine.shares.map((s) => s.points).sort((a, b) => b - a)
      if (JSON.stringify(shares) !== JSON.stringify([1244, 532])) throw new Error(`the shares: ${JSON.stringify(mine.shares)}`)
      earned = answer.points
    })
    await step("the customer's page shows the points, the tier and the upgrade task's progress", async () => {
      await page.goto(`${baseUrl}/customer/${customer}`)
      await page.getByTestId('customer-detail-page').waitFor()
      await page.getByTestId('customer-points-table').getByText(code).first().waitFor()
      await page.getByTestId('customer-tier-card').waitFor()
      const tier = (await page.getByTestId('customer-tier-now').textContent()) ?? ''
      if (!/银卡|金卡|白金/.test(tier)) throw new Error(`the tier shows as "${tier}" after ${earned} points`)
      const progress = (await page.getByTestId('customer-task-progress').first().textContent()) ?? ''
      if (!progress.includes('/ 3')) throw new Error(`the task's progress shows "${progress}"`)
      await shot(page, 'points-customer')
    })
    await step('积分兑换规则: a rule with its rate and bearers is saved, and 试算 prices 100 yuan', async () => {
      await page.goto(`${baseUrl}/points/rules`)
      await page.getByTestId('point-rules-page').waitFor()
      await page.getByTestId('point-rules-tabs').getByText('积分兑换规则').click()
      await page.getByTestId('exchange-rules').waitFor()
      await page.getByTestId('exchange-rule-create').click()
      const dialog = page.getByTestId('exchange-rule-dialog')
      await dialog.waitFor({ state: 'visible' })
      await page.getByTestId('exchange-rule-form-code').fill(`EX-${tag}`)
      await page.getByTestId('exchange-rule-form-name').fill('端到端积分抵现')
      await page.getByTestId('exchange-rule-form-max-pct').locator('input').fill('80')
      await page.getByTestId('exchange-rule-form-order-cap').locator('input').fill('5000')
      const inputs = dialog.locator('.el-date-editor input')
      const fmt = (d) => new Date(d.getTime() + 8 * 3600_000).toISOString().slice(0, 19).replace('T', ' ')
      await inputs.nth(0).fill(fmt(new Date(Date.now() - 86_400_000)))
      await inputs.nth(1).fill(fmt(new Date(Date.now() + 365 * 86_400_000)))
      await inputs.nth(1).press('Enter')
      await page.getByTestId('exchange-rule-form-hq-org').click()
      await page.locator('.el-select-dropdown__item:visible').filter({ hasText: /^\s*城东分行\s*$/ }).first().click({ force: true })
      await page.getByTestId('exchange-rule-form-name').click()
      await shot(page, 'points-exchange-form')
      const [saved] = await Promise.all([
        page.waitForResponse((res) => pathOf(res.url()) === '/api/v1/points/exchange-rules' && res.request().method() === 'POST'),
        page.getByTestId('exchange-rule-form-save').click(),
      ])
      if (saved.status() !== 200) throw new Error(`saving answered ${saved.status()}: ${await saved.text()}`)
      await dialog.waitFor({ state: 'hidden' })
      const row = page.getByTestId('exchange-rules-table').locator('tr', { hasText: `EX-${tag}` })
      await row.waitFor()
      await row.getByTestId('exchange-rule-quote').click()
      const result = page.getByTestId('exchange-quote-result')
      await result.waitFor()
      // 100 yuan, 80 % in points at 100 a yuan: 8,000 points, cut to the order cap of 5,000
      const text = (await result.textContent()) ?? ''
      if (!text.includes('5000') || !text.includes('50.00')) throw new Error(`the quote shows "${text}"`)
      if (!text.includes('城东分行')) throw new Error(`the quote names no bearer: "${text}"`)
      await shot(page, 'points-exchange-quote')
      await page.keyboard.press('Escape')
    })
    await step("积分账户: the chart over its dates, and the ledger's accounts of the planner's orgs by unit", async () => {
      await page.goto(`${baseUrl}/points/accounts`)
      await page.getByTestId('points-accounts-page').waitFor()
      await page.getByTestId('points-chart').locator('canvas').waitFor()
      const title = (await page.getByTestId('points-chart-title').textContent()) ?? ''
      if (!/发放 [1-9]/.test(title)) throw new Error(`the chart's title shows "${title}"`)
      await page.getByTestId('points-accounts-unit').click()
      const [listed] = await Promise.all([
        page.waitForResponse((res) => pathOf(res.url()) === '/api/v1/points/ledger-accounts' && res.url().includes('unit=points')),
        page.locator('.el-select-dropdown__item:visible', { hasText: '积分' }).first().click({ force: true }),
      ])
      const body = await listed.json()
      if (body.total < 1) throw new Error('no points accounts in the planner\'s scope')
      if (body.items.some((a) => a.org_name === '总行' || a.org_name === '城西分行')) throw new Error(`accounts outside the scope: ${JSON.stringify(body.items.map((a) => a.org_name))}`)
      const table = (await page.getByTestId('points-accounts-table').textContent()) ?? ''
      if (table.includes(customer)) throw new Error('a customer number shows unmasked in the account list')
      await shot(page, 'points-accounts')
    })
    await step('积分流水 导出: right after the sign-in, the file holds the transfers with every customer masked', async () => {
      await page.getByTestId('points-flow-customer').fill(customer)
      await Promise.all([
        page.waitForResponse((res) => pathOf(res.url()) === '/api/v1/points/transfers' && res.url().includes('customer_no=')),
        page.locator('.points-accounts__flow button[type=submit]').click(),
      ])
      const flow = (await page.getByTestId('points-flow-table').textContent()) ?? ''
      if (flow.includes(customer)) throw new Error('a customer number shows unmasked in 积分流水')
      const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('points-flow-export').click()])
      const text = await readFile(await download.path(), 'utf8')
      if (text.split('\n').filter((l) => l.trim()).length < 2) throw new Error(`the export holds no rows:\n${text}`)
      if (text.includes(customer)) throw new Error('the export holds an unmasked customer number')
      await shot(page, 'points-flow')
    })
    await step('等级体系 and 升级任务 list the demo tiers, their benefits and the task', async () => {
      await page.goto(`${baseUrl}/tier/levels`)
      await page.getByTestId('tiers-table').getByText('金卡会员').waitFor()
      await page.getByTestId('tier-benefit').first().waitFor()
      await shot(page, 'points-tiers')
      await page.goto(`${baseUrl}/tier/tasks`)
      await page.getByTestId('upgrade-tasks-table').getByText('SPEND3').waitFor()
      await shot(page, 'points-tasks')
    })
  } finally {
    await browser.close()
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err)
  process.exit(1)
})
