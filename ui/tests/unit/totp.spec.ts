import { describe, expect, it } from 'vitest'
import { cleanCode, groupSecret, isRecoveryCode, isTotpCode, normalizeRecoveryCode, recoveryCodesFile, recoveryCodesFilename } from '@/utils/totp'

describe('second-factor input', () => {
  it('keeps six digits of whatever is typed or pasted', () => {
    expect(cleanCode('12 34 56')).toBe('123456')
    expect(cleanCode('123-456-789')).toBe('123456')
    expect(cleanCode('abc')).toBe('')
    expect(isTotpCode('123456')).toBe(true)
    expect(isTotpCode('12345')).toBe(false)
    expect(isTotpCode('12345a')).toBe(false)
  })

  it('takes recovery codes loosely, as the server does', () => {
    expect(normalizeRecoveryCode('abcde fghjk')).toBe('ABCDE-FGHJK')
    expect(normalizeRecoveryCode('ABCDEFGHJK')).toBe('ABCDE-FGHJK')
    expect(normalizeRecoveryCode(' abcde-fghjk ')).toBe('ABCDE-FGHJK')
    expect(isRecoveryCode('abcde-fghjk')).toBe(true)
    expect(isRecoveryCode('ABCD-FGHJK')).toBe(false)
    expect(isRecoveryCode('123456')).toBe(false)
  })

  it('groups the secret in fours for typing by hand', () => {
    expect(groupSecret('JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP')).toBe('JBSW Y3DP EHPK 3PXP JBSW Y3DP EHPK 3PXP')
    expect(groupSecret('ABCDEF')).toBe('ABCD EF')
    expect(groupSecret('')).toBe('')
  })

  it('writes the recovery codes file with one numbered code a line', () => {
    const text = recoveryCodesFile(['AAAAA-BBBBB', 'CCCCC-DDDDD'], { title: 'T', account: 'A', created: 'C', note: 'N' })
    expect(text).toBe('T\r\nA\r\nC\r\n\r\n 1. AAAAA-BBBBB\r\n 2. CCCCC-DDDDD\r\n\r\nN\r\n')
    expect(recoveryCodesFilename('smoke.abc')).toBe('quanyi-recovery-codes-smoke.abc.txt')
    expect(recoveryCodesFilename('a/b')).toBe('quanyi-recovery-codes-a_b.txt')
  })
})
