// Browser test of 商品上架审批 (issue 18) against a running Quanyi server with its demo mall: the demo supplier's
// administrator (`supplier`) opens 我的商品, creates a product — an image uploaded, a SKU priced in points — and
// submits it; reviewer1 (审核) and reviewer2 (复核) approve from 待办任务's 办理; the supplier sees it 已上架 and the
// public catalogue shows its live price. Screenshots in ui/e2e/screenshots/ (listing-*.png).
//
//   QUANYI_URL=http://127.0.0.1:8080 QUANYI_PASSWORD=Quanyi@2026 \
//   QUANYI_DATABASE_URL=postgres://quanyi:...@127.0.0.1:5432/quanyi node e2e/listing.mjs
//   optional: SCREENSHOT_DIR (default ui/e2e/screenshots), CHROMIUM_PATH (default /usr/bin/chromium)
import { mkdir } from 'node:fs/promises'
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { deflateSync } from 'node:zlib'
import { chromium } from 'playwright-core'
import { captchaAnswer, psqlValue } from './smoke.mjs'

const STEP_TIMEOUT_MS = 15_000
/** The demo mall is seeded a few seconds after the server is ready. */
const SEEDED_TIMEOUT_MS = 60_000

function env(name) {
  const value = process.env[name]
  if (!value) {
    console.error(`listing: environment variable ${name} is required`)
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

/** Fills the field with this test id: Element Plus puts it on the input itself (el-input) or on a wrapper. */
async function fill(page, testId, value) {
  const target = page.getByTestId(testId).first()
  const tag = await target.evaluate((el) => el.tagName)
  await (tag === 'INPUT' || tag === 'TEXTAREA' ? target : target.locator('input')).fill(value)
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
  await page.locator('.el-message').first().waitFor({ state: 'detached', timeout: 5_000 }).catch(() => {})
  await page.screenshot({ path: resolve(screenshotDir, `listing-${name}.png`), fullPage: true, animations: 'disabled' })
}

function watch(page) {
  page.setDefaultTimeout(STEP_TIMEOUT_MS)
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`))
  page.on('console', (msg) => {
    if (msg.type() === 'error' && !msg.text().startsWith('Failed to load resource')) problems.push(`console error: ${msg.text()}`)
  })
  page.on('response', (res) => {
    const path = pathOf(res.url())
    if (res.status() >= 400 && path !== '/api/v1/auth/me') problems.push(`${res.status()} ${res.request().method()} ${path}`)
  })
}

// A real PNG (the server decodes images to strip their metadata): `width`×`height` in two bands.
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
  ihdr[8] = 8
  ihdr[9] = 2
  const row = Buffer.concat([Buffer.from([0]), Buffer.from(Array.from({ length: width }, () => [r, g, b]).flat())])
  const pale = Buffer.concat([Buffer.from([0]), Buffer.alloc(width * 3, 240)])
  const raw = Buffer.concat(Array.from({ length: height }, (_, y) => (y < (height * 2) / 3 ? row : pale)))
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))])
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

/** The reviewer's open task of the product numbered `code`, in 待办任务: its row. */
async function taskRow(page, code) {
  await page.goto(`${baseUrl}/tasks?tab=todo`)
  await page.getByTestId('tasks-page').waitFor()
  const row = page.locator('[data-testid="tasks-table"] .el-table__body tr.el-table__row', { hasText: code })
  await row.first().waitFor()
  return row.first()
}

async function approve(browser, reviewer, code, comment, name) {
  const page = await (await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: 'zh-CN' })).newPage()
  watch(page)
  await signIn(page, reviewer)
  const row = await taskRow(page, code)
  await shot(page, `${name}-inbox`)
  await row.getByTestId('task-handle').click()
  await page.getByTestId('decision-dialog').waitFor()
  await page.getByTestId('decision-comment').fill(comment)
  await clickFor(page, page.getByTestId('decision-submit'), 'POST', /\/decision$/)
  await page.close()
}

async function main() {
  await mkdir(screenshotDir, { recursive: true })
  const deadline = Date.now() + SEEDED_TIMEOUT_MS
  while (Number(await psqlValue("SELECT count(*) FROM users WHERE username = 'supplier'")) !== 1) {
    if (Date.now() > deadline) throw new Error('the demo supplier was not seeded')
    await new Promise((r) => setTimeout(r, 1000))
  }
  const browser = await chromium.launch({ executablePath, args: ['--no-sandbox'] })
  const name = `白茶饼 ${Date.now() % 100000}`
  let code = ''
  try {
    const page = await (await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: 'zh-CN' })).newPage()
    watch(page)
    await step('the supplier opens 我的商品 with its demo products in every state', async () => {
      await signIn(page, 'supplier')
      await page.goto(`${baseUrl}/mall/my-products`)
      await page.getByTestId('my-products-page').waitFor()
      await page.locator('[data-testid="my-products-table"] .el-table__body tr.el-table__row').first().waitFor()
      const states = await page.getByTestId('product-row-status').allTextContents()
      for (const s of ['草稿', '待审核', '已上架', '已下架']) if (!states.map((x) => x.trim()).includes(s)) throw new Error(`no product ${s}: ${states}`)
      await shot(page, '1-my-products')
    })
    await step('the supplier creates a product with an image and a SKU in points', async () => {
      await page.getByTestId('product-create').click()
      await page.getByTestId('product-dialog').waitFor()
      await fill(page, 'product-name', name)
      await page.getByTestId('product-category').click()
      await page.locator('.el-select-dropdown__item', { hasText: '茶叶' }).first().click()
      await fill(page, 'product-description', '福鼎白茶，三年陈。')
      const [upload] = await Promise.all([
        page.waitForResponse((res) => res.request().method() === 'POST' && pathOf(res.url()) === '/api/v1/files'),
        page.getByTestId('product-upload').locator('input[type=file]').setInputFiles({ name: 'tea.png', mimeType: 'image/png', buffer: png(320, 320, [150, 120, 80]) }),
      ])
      if (upload.status() !== 201) throw new Error(`the upload answered ${upload.status()}`)
      await page.getByTestId('product-image').first().waitFor()
      await fill(page, 'sku-spec', '357g 饼')
      await fill(page, 'sku-points', '6600')
      await fill(page, 'sku-stock', '50')
      await shot(page, '2-new-product')
      await clickFor(page, page.getByTestId('product-save'), 'POST', /\/api\/v1\/supplier\/products$/)
      const row = page.locator('[data-testid="my-products-table"] .el-table__body tr.el-table__row', { hasText: name }).first()
      await row.waitFor()
      code = ((await row.locator('.qy-mono').first().textContent()) ?? '').trim()
      if (!/^SP[0-9]+$/.test(code)) throw new Error(`the product number reads "${code}"`)
    })
    await step('the supplier submits it: 待审核', async () => {
      const row = page.locator('[data-testid="my-products-table"] .el-table__body tr.el-table__row', { hasText: code }).first()
      await clickFor(page, row.getByTestId('product-submit'), 'POST', /\/submission$/)
      await row.getByTestId('product-row-status').getByText('待审核').waitFor()
      await shot(page, '3-submitted')
    })
    await step('reviewer1 approves 审核 from the inbox', () => approve(browser, 'reviewer1', code, '资质齐全', '4-review'))
    await step('reviewer2 approves 复核 from the inbox', () => approve(browser, 'reviewer2', code, '同意上架', '5-second-review'))
    await step('the supplier sees it 已上架 and the catalogue sells it at its price', async () => {
      await page.goto(`${baseUrl}/mall/my-products`)
      const row = page.locator('[data-testid="my-products-table"] .el-table__body tr.el-table__row', { hasText: code }).first()
      await row.getByTestId('product-row-status').getByText('已上架').waitFor()
      await shot(page, '6-listed')
      const answer = await page.request.get(`${baseUrl}/api/v1/catalogue/products/${code}`)
      if (answer.status() !== 200) throw new Error(`the catalogue answered ${answer.status()}`)
      const product = await answer.json()
      if (product.skus?.[0]?.price_points !== 6600) throw new Error(`the catalogue price is ${JSON.stringify(product.skus)}`)
      const listed = await psqlValue(`SELECT status FROM products WHERE code = '${code}'`)
      if (listed !== 'listed') throw new Error(`the product is ${listed}`)
    })
    await step('staff see it in 商品信息 with its details', async () => {
      const staff = await (await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: 'zh-CN' })).newPage()
      watch(staff)
      await signIn(staff, 'merchant_manager')
      await staff.goto(`${baseUrl}/mall/product/list`)
      const row = staff.locator('[data-testid="mall-products-table"] .el-table__body tr.el-table__row', { hasText: '明前龙井' }).first()
      await row.getByTestId('mall-product-detail').click()
      await staff.getByTestId('mall-product-proposed').waitFor()
      await shot(staff, '7-staff-detail')
      await staff.close()
    })
  } finally {
    await browser.close()
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err)
  process.exit(1)
})
