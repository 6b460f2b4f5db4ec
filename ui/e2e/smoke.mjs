// Browser smoke test of the built UI against a running Quanyi server (playwright-core + the system's
// Chromium; no browser download). Login → home → 系统状态 (ready) → /api/docs → logout, screenshots of each.
// Fails on any step, console error, page error, or 4xx/5xx response, except: /api/v1/auth/me's 401 while
// no session is open (how the UI learns it must show the login page), and /readyz's 503 while the test is
// still waiting for the server to become ready (dependencies may be warming up; after ready, a 503 fails).
//
//   QUANYI_URL=http://127.0.0.1:8080 QUANYI_USER=admin QUANYI_PASSWORD=... npm run smoke
//   optional: SCREENSHOT_DIR (default ui/e2e/screenshots), CHROMIUM_PATH (default /usr/bin/chromium)
import { mkdir } from 'node:fs/promises'
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'

const STATUS_TIMEOUT_MS = 30_000
const STEP_TIMEOUT_MS = 15_000

function env(name) {
  const value = process.env[name]
  if (!value) {
    console.error(`smoke: environment variable ${name} is required`)
    process.exit(2)
  }
  return value
}

const baseUrl = env('QUANYI_URL').replace(/\/+$/, '')
const username = env('QUANYI_USER')
const password = env('QUANYI_PASSWORD')
const screenshotDir = resolve(process.env.SCREENSHOT_DIR || fileURLToPath(new URL('./screenshots/', import.meta.url)))
const executablePath = process.env.CHROMIUM_PATH || '/usr/bin/chromium'

/** Problems seen by the listeners; any of them fails the run. */
const problems = []
/** True between a successful login and the logout: a 401 from the session probe is then a failure. */
let sessionOpen = false
/** True until the status page has shown "ready": /readyz may answer 503 while dependencies start. */
let awaitingReady = true
let stepCount = 0

function pathOf(url) {
  try {
    return new URL(url).pathname
  } catch {
    return url
  }
}

function isExpectedFailure(url, status) {
  const path = pathOf(url)
  if (status === 401 && !sessionOpen && path === '/api/v1/auth/me') return true
  return status === 503 && awaitingReady && path === '/readyz'
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
  const file = resolve(screenshotDir, `${name}.png`)
  await page.screenshot({ path: file, fullPage: true, animations: 'disabled' })
  return file
}

async function main() {
  await mkdir(screenshotDir, { recursive: true })
  console.log(`smoke: ${baseUrl} as ${username}, Chromium ${executablePath}, screenshots in ${screenshotDir}`)

  const browser = await chromium.launch({
    executablePath,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  })
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' })
  context.setDefaultTimeout(STEP_TIMEOUT_MS)
  const page = await context.newPage()

  page.on('console', (msg) => {
    if (msg.type() !== 'error') return
    const where = msg.location()?.url ?? ''
    // Chromium logs every failed response as a console error; the response listener judges those.
    if (/^Failed to load resource: the server responded with a status of \d+/.test(msg.text())) return
    problems.push(`console error: ${msg.text()}${where ? ` (${where})` : ''}`)
  })
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`))
  page.on('response', (res) => {
    if (res.status() >= 400 && !isExpectedFailure(res.url(), res.status())) {
      problems.push(`HTTP ${res.status()} ${res.request().method()} ${res.url()}`)
    }
  })
  page.on('requestfailed', (req) => {
    const failure = req.failure()?.errorText ?? 'unknown'
    // Leaving a page cancels its in-flight polling request; that is not a failure of the server.
    if (failure === 'net::ERR_ABORTED') return
    problems.push(`request failed: ${req.method()} ${req.url()} (${failure})`)
  })

  let user
  try {
    await step('open the site and land on the login page', async () => {
      await page.goto(`${baseUrl}/`)
      await page.waitForURL((url) => url.pathname === '/login')
      const title = await page.getByTestId('login-title').textContent()
      if (!title?.includes('Quanyi')) throw new Error(`login title is "${title}"`)
      await page.waitForLoadState('networkidle')
      await shot(page, '1-login')
    })

    await step('log in', async () => {
      await page.getByTestId('login-username').fill(username)
      await page.getByTestId('login-password').fill(password)
      const [response] = await Promise.all([
        page.waitForResponse((res) => pathOf(res.url()) === '/api/v1/auth/login'),
        page.getByTestId('login-submit').click(),
      ])
      if (response.status() !== 200) {
        const body = await response.text().catch(() => '')
        problems.length = 0
        throw new Error(`login answered ${response.status()}: ${body}`)
      }
      sessionOpen = true
      user = (await response.json()).user
      if (!user?.display_name) throw new Error('login response has no user.display_name')
      await page.waitForURL((url) => url.pathname === '/home')
    })

    await step('home shows the user name and org', async () => {
      const greeting = page.getByTestId('welcome-name')
      await greeting.waitFor()
      const text = await greeting.textContent()
      if (!text?.includes(user.display_name)) throw new Error(`welcome card says "${text}", expected "${user.display_name}"`)
      const topName = await page.getByTestId('user-name').textContent()
      if (topName?.trim() !== user.display_name) throw new Error(`top bar shows "${topName}"`)
      const org = await page.getByTestId('user-org').textContent()
      if (org?.trim() !== user.org_name) throw new Error(`top bar org is "${org}", expected "${user.org_name}"`)
      await page.waitForLoadState('networkidle')
      await shot(page, '2-home')
    })

    await step('open 系统管理 › 系统状态 from the menu', async () => {
      await page.locator('[data-testid="menu-system"] > .el-sub-menu__title').click()
      const item = page.getByTestId('menu-system-status')
      await item.waitFor({ state: 'visible' })
      await item.click()
      await page.waitForURL((url) => url.pathname === '/system/status')
    })

    await step('system status reports ready with PostgreSQL and Temporal ok', async () => {
      try {
        await page.waitForFunction(
          () => {
            const state = (id) => document.querySelector(`[data-testid="${id}"]`)?.getAttribute('data-state')
            return state('status-overall') === 'ready' && state('check-postgres') === 'ok' && state('check-temporal') === 'ok'
          },
          undefined,
          { timeout: STATUS_TIMEOUT_MS, polling: 250 },
        )
      } catch {
        const seen = await page.evaluate(() =>
          ['status-overall', 'check-postgres', 'check-temporal'].map((id) => {
            const el = document.querySelector(`[data-testid="${id}"]`)
            return `${id}=${el?.getAttribute('data-state') ?? 'missing'} "${((el instanceof HTMLElement ? el.innerText : el?.textContent) ?? '').replace(/\s+/g, ' ').trim()}"`
          }),
        )
        await shot(page, 'failure-status').catch(() => {})
        throw new Error(`not ready within ${STATUS_TIMEOUT_MS / 1000} s: ${seen.join('; ')}`)
      }
      awaitingReady = false
      for (const id of ['check-postgres', 'check-temporal']) {
        const tag = (await page.locator(`[data-testid="${id}"] [data-testid="check-tag"]`).textContent())?.trim()
        if (tag !== '正常' && tag !== 'OK') throw new Error(`${id} tag says "${tag}"`)
      }
      const docsHref = await page.getByTestId('link-api-docs').getAttribute('href')
      if (docsHref !== '/api/docs') throw new Error(`API docs link is ${docsHref}`)
      await page.getByTestId('system-version').waitFor()
      await shot(page, '3-system-status')
    })

    await step('/api/docs renders Swagger UI with the API title', async () => {
      const spec = await (await page.request.get(`${baseUrl}/api/openapi.json`)).json()
      const expected = spec?.info?.title
      if (!expected) throw new Error('/api/openapi.json has no info.title')
      await page.goto(`${baseUrl}/api/docs`)
      const title = page.locator('#swagger-ui .info .title')
      await title.waitFor()
      const text = (await title.textContent()) ?? ''
      if (!text.includes(expected)) throw new Error(`Swagger UI title is "${text}", expected "${expected}"`)
      await page.locator('#swagger-ui .opblock').first().waitFor()
      await shot(page, '4-api-docs')
    })

    await step('log out and return to the login page', async () => {
      await page.goto(`${baseUrl}/home`)
      await page.getByTestId('user-menu').click()
      const logout = page.getByTestId('logout')
      await logout.waitFor({ state: 'visible' })
      const [response] = await Promise.all([
        page.waitForResponse((res) => pathOf(res.url()) === '/api/v1/auth/logout'),
        logout.click(),
      ])
      if (response.status() !== 204) throw new Error(`logout answered ${response.status()}`)
      sessionOpen = false
      await page.waitForURL((url) => url.pathname === '/login')
      // The session must be gone on the server too: a reload stays on the login page.
      await page.reload()
      await page.getByTestId('login-title').waitFor()
      if (pathOf(page.url()) !== '/login') throw new Error(`after logout and reload the page is ${page.url()}`)
      await page.waitForLoadState('networkidle')
      await shot(page, '5-logged-out')
    })
  } catch (err) {
    await shot(page, 'failure').catch(() => {})
    console.error(`\nsmoke: FAILED at ${page.url()}\n${err instanceof Error ? err.message : String(err)}`)
    if (problems.length > 0) console.error(`problems:\n  - ${problems.join('\n  - ')}`)
    console.error(`screenshots: ${screenshotDir}`)
    console.error(`smoke: ${stepCount - 1} passed, 1 failed`)
    await browser.close()
    process.exit(1)
  }

  await browser.close()
  console.log(`screenshots: ${screenshotDir}`)
  console.log(`smoke: ${stepCount} passed, 0 failed`)
}

main().catch((err) => {
  console.error(`smoke: could not run: ${err instanceof Error ? err.stack : String(err)}`)
  process.exit(1)
})
