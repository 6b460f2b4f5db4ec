// Entry point: plugins, the v-permission directive, and the API client's language and session hooks
// (re-auth dialog, forced password change, session ended → login).
import 'element-plus/dist/index.css'
import './styles/index.css'
import { createPinia } from 'pinia'
import { createApp } from 'vue'
import App from './App.vue'
import { configureClient } from './api/client'
import { createSessionHandlers } from './auth/handlers'
import { reauthGate } from './auth/reauth'
import { permission } from './directives/permission'
import { currentLocale, i18n, setLocale } from './locales'
import { router } from './router'
import { useUserStore } from './stores/user'
import { installRangeOrderCheck } from './utils/range-order'

const app = createApp(App)
const pinia = createPinia()
app.use(pinia).use(i18n).use(router).directive('permission', permission)

setLocale(currentLocale())

configureClient({
  language: currentLocale,
  reauthenticate: reauthGate.request,
  ...createSessionHandlers(router, () => useUserStore(pinia)),
})

// Every range picker: a range typed in the wrong order is said to be so, not silently dropped.
installRangeOrderCheck(document, () => i18n.global.t('common.rangeOrder'))

app.mount('#app')
