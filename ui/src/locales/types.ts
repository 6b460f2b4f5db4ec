// Types shared by the locale files: the message schema (from zh-CN) and its dotted keys.
import type zhCN from './zh-CN'

type Widen<T> = { [K in keyof T]: T[K] extends string ? string : Widen<T[K]> }

/** The shape every locale must have: zh-CN's keys, any string values. */
export type LocaleMessages = Widen<typeof zhCN>

type Join<K, P> = K extends string ? (P extends string ? `${K}.${P}` : never) : never
type Leaves<T> = { [K in keyof T]: T[K] extends string ? K & string : Join<K, Leaves<T[K]>> }[keyof T]

/** A dotted message key such as `menu.home`. */
export type MessageKey = Leaves<LocaleMessages>

export const SUPPORTED_LOCALES = ['zh-CN', 'en'] as const
export type AppLocale = (typeof SUPPORTED_LOCALES)[number]
