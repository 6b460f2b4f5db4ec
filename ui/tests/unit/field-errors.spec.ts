import { describe, expect, it } from 'vitest'
import { ApiError, toApiError } from '@/api/error'
import { baseFieldName, placeFieldErrors, placedAny } from '@/utils/field-errors'
import { errorBody } from './helpers'

type Field = 'username' | 'displayName' | 'phone' | 'roles'
const NAMES: Record<string, Field> = { username: 'username', display_name: 'displayName', phone: 'phone', roles: 'roles' }

function refusal(fields: { field: string; code: string; message: string }[], code = fields[0]?.code ?? 'QY-REQ-0002') {
  return toApiError(422, { ...errorBody(code), fields })
}

describe('server field errors', () => {
  it('reads `fields` off an error body, ignoring malformed entries', () => {
    const e = toApiError(422, { ...errorBody('QY-SYS-1013'), fields: [{ field: 'phone', code: 'QY-SYS-1013', message: '手机号格式不正确' }, { field: 7 }, 'x'] })
    expect(e.fields).toEqual([{ field: 'phone', code: 'QY-SYS-1013', message: '手机号格式不正确' }])
    expect(toApiError(422, errorBody('QY-SYS-1007')).fields).toEqual([])
    expect(toApiError(502, '<html>').fields).toEqual([])
  })

  it('puts each field\'s message under its form item, by the body\'s field name', () => {
    const placement = placeFieldErrors(
      refusal([
        { field: 'display_name', code: 'QY-SYS-1007', message: '姓名不能为空' },
        { field: 'phone', code: 'QY-SYS-1013', message: '手机号格式不正确' },
        { field: 'username', code: 'QY-SYS-1006', message: '用户名格式不正确' },
      ]),
      NAMES,
    )
    expect(placement.errors).toEqual({ displayName: '姓名不能为空', phone: '手机号格式不正确', username: '用户名格式不正确' })
    expect(placement.unplaced).toEqual([])
    expect(placedAny(placement)).toBe(true)
  })

  it('takes an array element\'s error for the array, the first message per field winning', () => {
    expect(baseFieldName('roles[1]')).toBe('roles')
    expect(baseFieldName('items[0].sku')).toBe('items.sku')
    const placement = placeFieldErrors(
      refusal([
        { field: 'roles[1]', code: 'QY-REQ-0002', message: '第 2 个角色类型错误' },
        { field: 'roles[3]', code: 'QY-REQ-0002', message: '第 4 个角色类型错误' },
      ]),
      NAMES,
    )
    expect(placement.errors).toEqual({ roles: '第 2 个角色类型错误' })
  })

  it('returns the fields the form does not have, to be shown as a message', () => {
    const placement = placeFieldErrors(refusal([{ field: 'org_id', code: 'QY-REQ-0002', message: '缺少 org_id' }]), NAMES)
    expect(placement.errors).toEqual({})
    expect(placement.unplaced).toEqual([{ field: 'org_id', code: 'QY-REQ-0002', message: '缺少 org_id' }])
    expect(placedAny(placement)).toBe(false)
  })

  it('does not take inherited names such as `constructor` for fields', () => {
    const placement = placeFieldErrors(refusal([{ field: 'constructor', code: 'QY-REQ-0002', message: 'x' }]), NAMES)
    expect(placement.errors).toEqual({})
    expect(placement.unplaced).toHaveLength(1)
  })

  it('places an answer without `fields` by its code, if the form says where', () => {
    const byCode = (code: string): Field | undefined => (code === 'QY-SYS-1002' ? 'username' : undefined)
    const taken = toApiError(409, errorBody('QY-SYS-1002', '用户名已存在'))
    expect(placeFieldErrors(taken, NAMES, byCode).errors).toEqual({ username: '用户名已存在' })
    expect(placeFieldErrors(toApiError(409, errorBody('QY-SYS-1005')), NAMES, byCode).errors).toEqual({})
  })

  it('places nothing for an error the UI made up (network, proxy page)', () => {
    const network = new ApiError({ code: 'QY-UI-0001', message: '', requestId: null, status: 0, fromServer: false })
    expect(placedAny(placeFieldErrors(network, NAMES, () => 'username'))).toBe(false)
    expect(placedAny(placeFieldErrors(new TypeError('fetch failed'), NAMES, () => 'username'))).toBe(false)
  })
})
