// 参数设置: the checks the change dialog makes before it sends a value (the server decides: QY-SYS-1009).
import type { Parameter } from '@/api/types'
import type { MessageKey } from '@/locales'

export interface ValueProblem {
  key: MessageKey
  named?: Record<string, unknown>
}

/** What is wrong with `value` as the new value of `param`, or null when it may be sent. */
export function parameterValueProblem(value: number | null | undefined, param: Pick<Parameter, 'min' | 'max' | 'unit'>): ValueProblem | null {
  if (value === null || value === undefined || Number.isNaN(value)) return { key: 'parameter.required' }
  if (!Number.isInteger(value)) return { key: 'parameter.notInteger' }
  if (value < param.min || value > param.max) {
    return { key: 'parameter.outOfRange', named: { min: param.min, max: param.max, unit: param.unit } }
  }
  return null
}
