/// <reference types="vitest/config" />
// Build and test configuration for the Quanyi admin UI.
// The server serves dist/ at `/` (SPA fallback), dist/h5/ at `/h5/` (its own fallback) and the Swagger UI
// assets at `/api-docs/`.
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath, URL } from 'node:url'
import vue from '@vitejs/plugin-vue'
import { defineConfig, type Plugin } from 'vite'

const require = createRequire(import.meta.url)
const swaggerDir = dirname(require.resolve('swagger-ui-dist/package.json'))
const swaggerFiles = ['swagger-ui-bundle.js', 'swagger-ui.css']

// The vendor files name a .map that we do not ship; drop the comment so browsers do not fetch a 404.
function readSwaggerFile(name: string): string {
  return readFileSync(join(swaggerDir, name), 'utf8').replace(/\n?\/[/*]# sourceMappingURL=\S+?(\s*\*\/)?\s*$/, '\n')
}

// Copies the two Swagger UI files the server's /api/docs page loads (CSP forbids a CDN or inline script).
// Written by hand because it is a dozen lines; vite-plugin-static-copy would add a dependency tree for it.
function swaggerUiAssets(): Plugin {
  return {
    name: 'quanyi-swagger-ui-assets',
    generateBundle() {
      for (const name of swaggerFiles) {
        this.emitFile({ type: 'asset', fileName: `api-docs/${name}`, source: readSwaggerFile(name) })
      }
    },
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        const name = req.url?.replace(/^\/api-docs\//, '').split('?')[0] ?? ''
        if (!req.url?.startsWith('/api-docs/') || !swaggerFiles.includes(name)) return next()
        res.setHeader('Content-Type', name.endsWith('.css') ? 'text/css' : 'text/javascript')
        res.end(readSwaggerFile(name))
      })
    },
  }
}

// Vant's icon font names a CDN copy (at.alicdn.com) after its inline woff2: a browser that tries it breaks
// the CSP (font-src 'self' data:) and reaches for the internet. Keep the inline font only.
function vantIconsInline(): Plugin {
  return {
    name: 'quanyi-vant-icons-inline',
    transform(code, id) {
      if (!/[\\/]vant[\\/]lib[\\/]index\.css/.test(id)) return null
      return { code: code.replace(/,\s*url\((?:https?:)?\/\/at\.alicdn\.com\/[^)]*\)\s*format\(["']woff["']\)/g, ''), map: null }
    },
  }
}

// `npm run dev` proxies the API to a locally running `quanyi dev`.
const apiTarget = process.env.QUANYI_URL ?? 'http://127.0.0.1:8080'

export default defineConfig({
  plugins: [vue(), swaggerUiAssets(), vantIconsInline()],
  resolve: {
    alias: { '@': fileURLToPath(new URL('./src', import.meta.url)) },
  },
  define: {
    // vue-i18n bundler feature flags: Composition API only, no devtools hooks in production.
    __VUE_I18N_FULL_INSTALL__: true,
    __VUE_I18N_LEGACY_API__: false,
    __INTLIFY_PROD_DEVTOOLS__: false,
  },
  build: {
    // The server's CSP has no 'unsafe-eval' and no inline script; keep assets as files.
    assetsInlineLimit: 0,
    // ECharts (bar + line + canvas only, ~550 kB minified) in a chunk of its own: only 权益库存变动查询
    // loads it, and it stays cached across UI releases that do not change it.
    chunkSizeWarningLimit: 600,
    rollupOptions: {
      // Two pages of one build: the admin UI at `/`, the customers' H5 (Vant) at `/h5/`.
      input: {
        main: fileURLToPath(new URL('./index.html', import.meta.url)),
        h5: fileURLToPath(new URL('./h5/index.html', import.meta.url)),
      },
      output: {
        manualChunks(id) {
          if (/[\\/]node_modules[\\/](echarts|zrender)[\\/]/.test(id)) return 'echarts'
          return undefined
        },
      },
    },
  },
  server: {
    proxy: {
      '/api': apiTarget,
      '/readyz': apiTarget,
      '/healthz': apiTarget,
    },
  },
  test: {
    environment: 'jsdom',
    include: ['tests/unit/**/*.spec.ts'],
    server: { deps: { inline: ['element-plus'] } },
  },
})
