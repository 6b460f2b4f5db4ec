// Browser test of the customers' H5 mall (issue 18, MALL-7) at phone size (390×844) against a running
// `quanyi dev`: the demo customer opens the H5 from the demo page (mobile banking's stand-in, which signs
// the assertion), browses the home page's banners, navigation and zones, a category and a search, opens a
// product and its SKU picker, checks in, and sees their points, coupons (with the QR for the till),
// activities and growth level. Screenshots in ui/e2e/screenshots/ (h5-*.png).
//
//   QUANYI_URL=http://127.0.0.1:8080 node e2e/h5.mjs
//   optional: SCREENSHOT_DIR (default ui/e2e/screenshots), CHROMIUM_PATH (default /usr/bin/chromium)
import { mkdir } from 'node:fs/promises'
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'

const STEP_TIMEOUT_MS = 15_000

const baseUrl = (process.env.QUANYI_URL || '').replace(/\/+$/, '')
if (!baseUrl) {
  console.error('h5: environment variable QUANYI_URL is required')
  process.exit(2)
}
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
  await page.waitForLoadState('networkidle')
  await page.waitForTimeout(300)
  await page.screenshot({ path: resolve(screenshotDir, `${name}.png`), fullPage: true, animations: 'disabled' })
}

async function main() {
  await mkdir(screenshotDir, { recursive: true })
  const browser = await chromium.launch({
    executablePath,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  })
  const page = await browser.newPage({
    viewport: { width: 390, height: 844 },
    deviceScaleFactor: 2,
    isMobile: true,
    hasTouch: true,
    locale: 'zh-CN',
    userAgent: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 QuanyiMobileBank/demo',
  })
  page.setDefaultTimeout(STEP_TIMEOUT_MS)
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`))
  page.on('console', (msg) => {
    if (/^Failed to load resource: the server responded with a status of \d+/.test(msg.text())) return
    if (msg.type() === 'error') problems.push(`console error: ${msg.text()}`)
  })
  page.on('requestfailed', (req) => problems.push(`request failed: ${req.method()} ${req.url()}`))
  page.on('response', (res) => {
    if (res.status() >= 400) problems.push(`${res.status()} ${res.request().method()} ${pathOf(res.url())}`)
  })
  try {
    await step('mobile banking (the demo page) opens the H5 for a demo customer: the assertion leaves the address', async () => {
      await page.goto(`${baseUrl}/h5/demo`)
      await page.getByText('手机银行（演示）').first().waitFor()
      await shot(page, 'h5-demo')
      const links = page.locator('a.go')
      if ((await links.count()) < 2) throw new Error('the demo page lists fewer than two customers')
      const [answer] = await Promise.all([
        page.waitForResponse((res) => pathOf(res.url()) === '/api/h5/v1/sessions'),
        links.nth(1).click(),
      ])
      if (answer.status() !== 200) throw new Error(`the exchange answered ${answer.status()}`)
      await page.waitForURL((url) => url.pathname === '/h5/' && !url.search.includes('assertion'))
    })
    await step('首页: banners, navigation, 活动专区 and 秒杀专区 with live prices', async () => {
      await page.getByText('秒杀专区').first().waitFor()
      await page.getByText('活动专区').first().waitFor()
      await page.locator('.van-swipe-item').first().waitFor()
      await page.getByText('每日签到').first().waitFor()
      await page.getByText('积分').first().waitFor()
      await shot(page, 'h5-home')
    })
    await step('分类 and a category of products', async () => {
      await page.locator('.van-tabbar-item', { hasText: '分类' }).click()
      await page.locator('.van-sidebar-item').first().waitFor()
      await shot(page, 'h5-categories')
      await page.locator('.van-cell', { hasText: '全部食品饮料' }).click()
      await page.waitForURL((url) => url.pathname === '/h5/category/food')
      await page.locator('a[href^="/h5/product/"]').first().waitFor()
      await shot(page, 'h5-category')
    })
    await step('搜索 龙井 finds the tea', async () => {
      await page.goto(`${baseUrl}/h5/search`)
      const box = page.locator('.van-search input')
      await box.fill('龙井')
      await box.press('Enter')
      await page.locator('a[href^="/h5/product/"]', { hasText: '龙井' }).first().waitFor()
      await shot(page, 'h5-search')
    })
    await step('商品详情 with its SKU picker', async () => {
      await page.locator('a[href^="/h5/product/"]', { hasText: '龙井' }).first().click()
      await page.getByText('商品详情').first().waitFor()
      await page.locator('.h5-price').first().waitFor()
      await shot(page, 'h5-product')
      await page.locator('.van-action-bar-button', { hasText: '立即兑换' }).click()
      await page.locator('.van-popup .specs .van-button').first().waitFor()
      await shot(page, 'h5-sku')
      await page.locator('.van-popup .van-popup__close-icon').click()
    })
    await step('我的 shows the customer, the tier and the points', async () => {
      await page.goto(`${baseUrl}/h5/me`)
      await page.getByText('可用积分').waitFor()
      await shot(page, 'h5-me')
    })
    await step('每日签到: one check-in, then 今日已签到', async () => {
      await page.goto(`${baseUrl}/h5/check-in`)
      const go = page.locator('.go')
      await go.waitFor()
      if ((await go.textContent())?.includes('立即签到')) {
        const [answer] = await Promise.all([
          page.waitForResponse((res) => pathOf(res.url()) === '/api/h5/v1/check-in' && res.request().method() === 'POST'),
          go.click(),
        ])
        if (answer.status() !== 200) throw new Error(`the check-in answered ${answer.status()}`)
      }
      await page.getByText('今日已签到').waitFor()
      await shot(page, 'h5-check-in')
    })
    await step('我的积分: balance, expiring points and the movements (the check-in among them)', async () => {
      await page.goto(`${baseUrl}/h5/points`)
      await page.getByText('积分明细').waitFor()
      await page.getByText('获得积分').first().waitFor()
      await shot(page, 'h5-points')
    })
    await step('我的卡券: an unused coupon opens to its QR and code', async () => {
      await page.goto(`${baseUrl}/h5/coupons`)
      const unused = page.locator('.coupon:not(.spent)').first()
      await unused.waitFor()
      await shot(page, 'h5-coupons')
      await unused.click()
      await page.locator('.qr img').waitFor()
      await shot(page, 'h5-coupon-qr')
    })
    await step('我的活动 and 成长等级', async () => {
      await page.goto(`${baseUrl}/h5/activities`)
      await page.locator('.van-nav-bar__title', { hasText: '我的活动' }).waitFor()
      await page.waitForLoadState('networkidle')
      await shot(page, 'h5-activities')
      await page.goto(`${baseUrl}/h5/growth`)
      await page.getByText('升级任务').waitFor()
      await shot(page, 'h5-growth')
    })
    console.log('h5: all steps passed')
  } finally {
    await browser.close()
  }
}

main().catch((err) => {
  console.error(`h5: ${err instanceof Error ? err.message : String(err)}`)
  process.exit(1)
})
