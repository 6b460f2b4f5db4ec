import { describe, expect, it } from 'vitest'
import { documentKind, documentName, isAccountNo, isCreditCode, isIdNumber, isMobile, isStoreCode, isText, stateTagType } from '@/utils/onboarding'

// The same cases as the server's activities/src/onboarding/check.rs: the page refuses exactly what it refuses.
describe('the checks of an application', () => {
  it('needs a credit code with its check digit', () => {
    for (const good of ['91350100M000100Y43', '91110000802100433B', '91440300708461136T', '91310000MA1FL0000N']) {
      expect(isCreditCode(good), good).toBe(true)
    }
    for (const bad of ['91350100M000100Y44', '91350100M000100Y4', '91350100M000100YI3', '91350100m000100Y43', '']) {
      expect(isCreditCode(bad), bad).toBe(false)
    }
  })

  it('needs an ID number with its check digit', () => {
    expect(isIdNumber('11010519491231002X')).toBe(true)
    expect(isIdNumber('440524188001010014')).toBe(true)
    expect(isIdNumber('110105194912310021')).toBe(false)
    expect(isIdNumber('11010519491231002x')).toBe(false)
    expect(isIdNumber('1101051949123100')).toBe(false)
  })

  it('takes phones, accounts, store codes and texts as the server does', () => {
    expect(isMobile('13800138000')).toBe(true)
    expect(isMobile('12800138000') || isMobile('1380013800') || isMobile('1380013800a')).toBe(false)
    expect(isAccountNo('6222020200112233445')).toBe(true)
    expect(isAccountNo('6222-0202') || isAccountNo('1234567')).toBe(false)
    expect(isStoreCode('S-01_a')).toBe(true)
    expect(isStoreCode('') || isStoreCode('门店')).toBe(false)
    expect(isText('人民路店', 100)).toBe(true)
    expect(isText('   ', 100) || isText('长'.repeat(101), 100)).toBe(false)
  })
})

describe('documents', () => {
  it('keep their kind in their name, without a path', () => {
    expect(documentName('licence', 'C:\\scan\\执照.jpg')).toBe('营业执照-执照.jpg')
    expect(documentKind('营业执照-执照.jpg')).toBe('licence')
    expect(documentKind('身份证-正面.png')).toBe('idCard')
    expect(documentKind('photo.png')).toBeNull()
    expect([...documentName('shop', 'x'.repeat(300))].length).toBe(200)
  })

  it('colour states by who is waiting', () => {
    expect(stateTagType('Opened')).toBe('success')
    expect(stateTagType('Supplement')).toBe('warning')
    expect(stateTagType('Rejected')).toBe('danger')
    expect(stateTagType('FirstReview')).toBe('primary')
  })
})
