// Entry point: plugins, the v-permission directive, and the API client's language and 401 hooks.
import 'element-plus/dist/index.css'
import './styles/index.css'
import { ElMessage } from 'element-plus'
import { createPinia } from 'pinia'
import { createApp } from 'vue'
import App from './App.vue'
import { configureClient } from './api/client'
import { permission } from './directives/permission'
import { currentLocale, i18n, setLocale } from './locales'
import { router } from './router'
import { useUserStore } from './stores/user'

const app = createApp(App)
const pinia = createPinia()
app.use(pinia).use(i18n).use(router).directive('permission', permission)

setLocale(currentLocale())

configureClient({
  language: currentLocale,
  onUnauthorized: () => {
    const store = useUserStore(pinia)
    const wasLoggedIn = store.isLoggedIn
    store.clear()
    const current = router.currentRoute.value
    if (current.name === 'login') return
    if (wasLoggedIn) ElMessage({ type: 'warning', message: i18n.global.t('layout.sessionExpired'), grouping: true })
    void router.replace({ name: 'login', query: { redirect: current.fullPath } })
  },
})

app.mount('#app')
