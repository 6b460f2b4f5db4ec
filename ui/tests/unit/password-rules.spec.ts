import { describe, expect, it } from 'vitest'
import {
  charClasses,
  checkPassword,
  PASSWORD_ERROR_FIELDS,
  passwordChecklist,
  passwordLength,
} from '@/utils/password'

const states = (pw: string, confirm = '', username = 'zhangsan') =>
  Object.fromEntries(passwordChecklist(pw, confirm, username).map((r) => [r.key, r.state]))

describe('password rules', () => {
  it('sorts characters into the four classes, anything not a letter or digit being a symbol', () => {
    expect(charClasses('Ab1!')).toEqual({ upper: true, lower: true, digit: true, symbol: true })
    expect(charClasses('abc')).toEqual({ upper: false, lower: true, digit: false, symbol: false })
    expect(charClasses('ABC 123')).toEqual({ upper: true, lower: false, digit: true, symbol: true })
    expect(charClasses('密码')).toEqual({ upper: false, lower: false, digit: false, symbol: true })
    expect(charClasses('')).toEqual({ upper: false, lower: false, digit: false, symbol: false })
  })

  it('needs at least 8 characters, counted as characters not UTF-16 units', () => {
    expect(checkPassword('Abc1234', '').length).toBe(false)
    expect(checkPassword('Abc12345', '').length).toBe(true)
    expect(passwordLength('密码密码Ab1😀')).toBe(8)
    expect(checkPassword('Ab1😀😀😀😀', '').length).toBe(false) // 7 characters, 11 UTF-16 units
  })

  it('needs 3 of the 4 classes', () => {
    expect(checkPassword('abcdefgh1', '')).toMatchObject({ classCount: 2, variety: false, ok: false })
    expect(checkPassword('abcdefgh1!', '')).toMatchObject({ classCount: 3, variety: true, ok: true })
    expect(checkPassword('ABCDEFGh1', '')).toMatchObject({ classCount: 3, variety: true, ok: true })
    expect(checkPassword('Abcdefg1!', '')).toMatchObject({ classCount: 4, variety: true })
  })

  it('refuses a password containing the username, whatever the case', () => {
    expect(checkPassword('Zhangsan#2026', 'zhangsan')).toMatchObject({ noUsername: false, ok: false })
    expect(checkPassword('x-ZHANGSAN-1a', 'zhangsan').noUsername).toBe(false)
    expect(checkPassword('Quanyi#2026', 'zhangsan')).toMatchObject({ noUsername: true, ok: true })
    expect(checkPassword('Quanyi#2026', '').noUsername).toBe(true)
  })

  it('shows every line pending until something is typed', () => {
    expect(states('', '')).toEqual({ length: 'pending', variety: 'pending', noUsername: 'pending', confirm: 'pending' })
  })

  it('marks each line met or unmet as the user types', () => {
    expect(states('abc')).toEqual({ length: 'unmet', variety: 'unmet', noUsername: 'met', confirm: 'pending' })
    expect(states('abcdefgh')).toMatchObject({ length: 'met', variety: 'unmet' })
    expect(states('zhangsan#A1')).toMatchObject({ length: 'met', variety: 'met', noUsername: 'unmet' })
    expect(states('Quanyi#2026', 'Quanyi#202')).toMatchObject({ confirm: 'unmet' })
    expect(states('Quanyi#2026', 'Quanyi#2026')).toEqual({ length: 'met', variety: 'met', noUsername: 'met', confirm: 'met' })
  })

  it('puts the server\'s password errors under the field they concern', () => {
    expect(PASSWORD_ERROR_FIELDS['QY-PWD-0006']).toBe('oldPassword')
    for (const code of ['QY-PWD-0001', 'QY-PWD-0002', 'QY-PWD-0003', 'QY-PWD-0004', 'QY-PWD-0005']) {
      expect(PASSWORD_ERROR_FIELDS[code], code).toBe('newPassword')
    }
    expect(PASSWORD_ERROR_FIELDS['QY-AUTH-0002']).toBeUndefined()
  })
})
