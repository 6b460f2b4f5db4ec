// How 权益发放明细查询 shows a code: grouped in fours, masked by the server until read whole.
import { describe, expect, it } from 'vitest'
import { groupShownCode, shownCode } from '@/utils/coupon-code'

describe('coupon codes as the list shows them', () => {
  it('groups whole and masked codes in fours, anything else as it is', () => {
    expect(groupShownCode('ABCD2345EFGH6789')).toBe('ABCD 2345 EFGH 6789')
    expect(groupShownCode('ABCD********6789')).toBe('ABCD **** **** 6789')
    expect(groupShownCode('short')).toBe('short')
  })

  it('shows the whole code read for a row, else the server’s, and says whether the mask is on', () => {
    const masked = { id: 'c-1', code: 'ABCD********6789', code_masked: true }
    const used = { id: 'c-2', code: 'WXYZ2345EFGH6789', code_masked: false }
    expect(shownCode(masked, {})).toEqual({ text: 'ABCD **** **** 6789', masked: true })
    expect(shownCode(masked, { 'c-1': 'ABCD2345EFGH6789' })).toEqual({ text: 'ABCD 2345 EFGH 6789', masked: false })
    expect(shownCode(used, { 'c-1': 'ABCD2345EFGH6789' })).toEqual({ text: 'WXYZ 2345 EFGH 6789', masked: false })
  })
})
