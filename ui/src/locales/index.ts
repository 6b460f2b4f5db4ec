// The vue-i18n instance and the current language: zh-CN by default, en second, remembered per browser.
// Switching also changes <html lang>, the Element Plus locale (see App.vue) and the API's Accept-Language.
import { createI18n } from 'vue-i18n'
import en from './en'
import { SUPPORTED_LOCALES, type AppLocale, type LocaleMessages } from './types'
import zhCN from './zh-CN'

export type { AppLocale, LocaleMessages, MessageKey } from './types'
export { SUPPORTED_LOCALES } from './types'

const STORAGE_KEY = 'quanyi.locale'
export const DEFAULT_LOCALE: AppLocale = 'zh-CN'

export function isAppLocale(value: unknown): value is AppLocale {
  return typeof value === 'string' && (SUPPORTED_LOCALES as readonly string[]).includes(value)
}

function storedLocale(): AppLocale {
  try {
    const value = globalThis.localStorage?.getItem(STORAGE_KEY)
    return isAppLocale(value) ? value : DEFAULT_LOCALE
  } catch {
    return DEFAULT_LOCALE
  }
}

export const messages: Record<AppLocale, LocaleMessages> = { 'zh-CN': zhCN, en }

export const i18n = createI18n<[LocaleMessages], AppLocale, false>({
  legacy: false,
  locale: storedLocale(),
  fallbackLocale: DEFAULT_LOCALE,
  messages,
})

export function currentLocale(): AppLocale {
  return i18n.global.locale.value
}

export function setLocale(locale: AppLocale): void {
  i18n.global.locale.value = locale
  try {
    globalThis.localStorage?.setItem(STORAGE_KEY, locale)
  } catch {
    // Private mode or storage disabled: the choice lasts until reload.
  }
  if (typeof document !== 'undefined') document.documentElement.lang = locale
}
