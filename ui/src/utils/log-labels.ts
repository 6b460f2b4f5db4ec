// Labels for what the log endpoints answer in codes: audit actions (`system.user.create` → 新增用户),
// audit results (`ok` / `refused`) and sign-in results. Unknown codes are shown as the server sent them.
import type { MessageKey } from '@/locales'

/** The audit actions the UI can name, in the order the action filter offers them. */
export const AUDIT_ACTION_LABELS: Readonly<Record<string, MessageKey>> = {
  'auth.session.login': 'auditLog.actions.sessionLogin',
  'auth.session.logout': 'auditLog.actions.sessionLogout',
  'auth.session.reauth': 'auditLog.actions.sessionReauth',
  'auth.password.change': 'auditLog.actions.passwordChange',
  'system.user.create': 'auditLog.actions.userCreate',
  'system.user.reset_password': 'auditLog.actions.userResetPassword',
  'system.user.grant_role': 'auditLog.actions.userGrantRole',
  'system.user.unlock': 'auditLog.actions.userUnlock',
  'system.parameter.read': 'auditLog.actions.parameterRead',
  'system.parameter.update': 'auditLog.actions.parameterUpdate',
  'system.dictionary.put': 'auditLog.actions.dictionaryPut',
  'system.log.export': 'auditLog.actions.logExport',
}

type Translate = (key: MessageKey) => string

/** The action's name (登录, 新增用户, …), or null when the UI does not know it (then only the code shows). */
export function auditActionLabel(action: string, t: Translate): string | null {
  return Object.prototype.hasOwnProperty.call(AUDIT_ACTION_LABELS, action) ? t(AUDIT_ACTION_LABELS[action]!) : null
}

export type TagType = 'success' | 'danger' | 'warning' | 'info'

export interface ResultTag {
  type: TagType
  text: string
}

/** An audit record's result: `ok` 成功 (green), `refused` 已拒绝 (red), anything else as sent (grey). */
export function auditResultTag(result: string, t: Translate): ResultTag {
  if (result === 'ok') return { type: 'success', text: t('log.success') }
  if (result === 'refused') return { type: 'danger', text: t('log.refused') }
  return { type: 'info', text: result }
}

/** A sign-in attempt's result: 成功 (green) or 失败 (red). */
export function loginResultTag(success: boolean, t: Translate): ResultTag {
  return success ? { type: 'success', text: t('log.success') } : { type: 'danger', text: t('log.failure') }
}

/** Before/after JSON of an audit record, indented for reading; null/absent → null. */
export function prettyJson(value: unknown): string | null {
  if (value === null || value === undefined) return null
  try {
    return JSON.stringify(value, null, 2)
  } catch {
    return String(value)
  }
}
