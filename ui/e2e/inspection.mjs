// Browser test of 巡查任务 (issue 16, WF-4) against a running Quanyi server with its demo bank: the merchant
// manager issues a task for M001 (over the API, signed in); inspector1 on a phone-sized screen (375×812) signs
// in, finds the task in 巡查任务 (仅看我的), opens it, answers the checklist — 合格 with a photo taken (uploaded
// at once, its preview shown) and a written observation — and submits; the page shows 已提交 and the
// answers. Screenshots in ui/e2e/screenshots/ (inspection-*.png).
//
//   QUANYI_URL=http://127.0.0.1:8080 QUANYI_PASSWORD=Quanyi@2026 \
//   QUANYI_DATABASE_URL=postgres://quanyi:...@127.0.0.1:5432/quanyi node e2e/inspection.mjs
//   optional: SCREENSHOT_DIR (default ui/e2e/screenshots), CHROMIUM_PATH (default /usr/bin/chromium)
import { mkdir } from 'node:fs/promises'
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { deflateSync } from 'node:zlib'
import { chromium } from 'playwright-core'
import { captchaAnswer } from './smoke.mjs'

const STEP_TIMEOUT_MS = 15_000

function env(name) {
  const value = process.env[name]
  if (!value) {
    console.error(`inspection: environment variable ${name} is required`)
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
  await page.evaluate(() => window.scrollTo(0, 0))
  await page.locator('.el-message').first().waitFor({ state: 'detached', timeout: 5_000 }).catch(() => {})
  await page.screenshot({ path: resolve(screenshotDir, `inspection-${name}.png`), fullPage: true, animations: 'disabled' })
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

// A real PNG (the server decodes images to strip their metadata): `width`×`height`, striped.
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
  const raw = Buffer.concat(Array.from({ length: height }, (_, y) => (y % 8 < 4 ? row : Buffer.concat([Buffer.from([0]), Buffer.alloc(width * 3, 230)]))))
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))])
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

async function main() {
  await mkdir(screenshotDir, { recursive: true })
  const browser = await chromium.launch({ executablePath, args: ['--no-sandbox', '--disable-background-networking'] })
  try {
    const managerContext = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: 'zh-CN' })
    const manager = await managerContext.newPage()
    watch(manager)
    let code = ''
    await step('the merchant manager issues a task for M001', async () => {
      await signIn(manager, 'merchant_manager')
      const response = await manager.request.post(`${baseUrl}/api/v1/inspection/tasks`, {
        headers: { 'x-requested-with': 'quanyi' },
        data: {
          merchant_code: 'M001',
          due_at: new Date(Date.now() + 3 * 86_400_000).toISOString(),
          checklist: [
            { key: '1', text: '消防器材在有效期内', kind: 'pass_fail', photo_required: true },
            { key: '2', text: '店内权益宣传物料情况', kind: 'text', photo_required: false },
          ],
        },
      })
      if (response.status() !== 201) throw new Error(`issuing answered ${response.status()}: ${await response.text()}`)
      code = (await response.json()).code
      await manager.goto(`${baseUrl}/merchant/inspection-tasks`)
      await manager.getByTestId('inspection-tasks-table').locator('tr.el-table__row', { hasText: code }).first().waitFor()
      await shot(manager, '1-tasks')
    })

    const inspectorContext = await browser.newContext({ viewport: { width: 375, height: 812 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, locale: 'zh-CN' })
    const inspector = await inspectorContext.newPage()
    watch(inspector)
    await step('the inspector on a phone finds the task among theirs and opens it', async () => {
      await signIn(inspector, 'inspector1')
      await inspector.goto(`${baseUrl}/merchant/inspection-tasks?mine=true`)
      const row = inspector.getByTestId('inspection-tasks-table').locator('tr.el-table__row', { hasText: code }).first()
      await row.waitFor()
      await shot(inspector, '2-mine')
      await row.getByTestId('inspection-task-link').click()
      await inspector.waitForURL((url) => url.pathname.startsWith('/merchant/inspection-tasks/'))
      await inspector.getByTestId('inspection-item-1').waitFor()
      const submit = inspector.getByTestId('inspection-submit')
      if (!(await submit.isDisabled())) throw new Error('submit is offered before the checklist is answered')
      await shot(inspector, '3-task')
    })
    await step('the inspector answers the checklist with a photo and submits', async () => {
      await inspector.getByTestId('inspection-result-1').getByText('合格', { exact: true }).click()
      const [upload] = await Promise.all([
        inspector.waitForResponse((res) => res.request().method() === 'POST' && pathOf(res.url()) === '/api/v1/files'),
        inspector.getByTestId('inspection-photo-input-1').setInputFiles({ name: 'extinguisher.png', mimeType: 'image/png', buffer: png(320, 240, [196, 40, 40]) }),
      ])
      if (upload.status() !== 201) throw new Error(`the photo upload answered ${upload.status()}`)
      await inspector.getByTestId('inspection-photo-preview').first().waitFor()
      // Element Plus puts the test id on the textarea itself
      await inspector.getByTestId('inspection-text-2').fill('宣传物料齐全，摆放在收银台旁')
      await shot(inspector, '4-filled')
      const [response] = await Promise.all([
        inspector.waitForResponse((res) => res.request().method() === 'POST' && /\/api\/v1\/inspection\/tasks\/[^/]+\/submit$/.test(pathOf(res.url()))),
        inspector.getByTestId('inspection-submit').click(),
      ])
      if (response.status() !== 200) throw new Error(`submitting answered ${response.status()}: ${await response.text()}`)
      const status = inspector.getByTestId('inspection-task-status')
      await status.filter({ hasText: '已提交' }).waitFor()
      await inspector.getByTestId('inspection-item-1').getByText('合格', { exact: true }).waitFor()
      await shot(inspector, '5-submitted')
    })
  } finally {
    await browser.close()
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err)
  process.exit(1)
})
