import { describe, expect, it } from 'vitest'
import { MAX_FEN, discountText, fenToInput, fenToYuan, formatFen, permilleToPercentOff, permilleToZhe, yuanToFen, zheToPermille } from '@/utils/money'

describe('yuanToFen', () => {
  it('reads whole yuan, one and two decimals exactly', () => {
    expect(yuanToFen('12')).toBe(1200)
    expect(yuanToFen('12.5')).toBe(1250)
    expect(yuanToFen('12.50')).toBe(1250)
    expect(yuanToFen('0.01')).toBe(1)
    expect(yuanToFen('35.00')).toBe(3500)
    expect(yuanToFen('0')).toBe(0)
    expect(yuanToFen('7.')).toBe(700)
  })

  it('has no float drift where yuan × 100 would have', () => {
    // 19.99 * 100 = 1998.9999999999998, 0.29 * 100 = 28.999999999999996, 1.005 is refused (3 decimals)
    expect(yuanToFen('19.99')).toBe(1999)
    expect(yuanToFen('0.29')).toBe(29)
    expect(yuanToFen('1.15')).toBe(115)
    expect(yuanToFen('4.35')).toBe(435)
    expect(yuanToFen('9999999999.99')).toBe(999_999_999_999)
    for (let fen = 0; fen < 20_000; fen += 7) expect(yuanToFen(fenToInput(fen))).toBe(fen)
  })

  it('ignores spaces, grouping commas and a leading ¥', () => {
    expect(yuanToFen(' 1,280.00 ')).toBe(128000)
    expect(yuanToFen('¥35')).toBe(3500)
    expect(yuanToFen('￥ 35.5')).toBe(3550)
    expect(yuanToFen('007.10')).toBe(710)
  })

  it('refuses what is not an amount of at most two decimals within the server range', () => {
    for (const bad of ['', ' ', 'abc', '-1', '1.005', '1.2.3', '.5', '1e3', '12,5a', '+3', 'Infinity', 'NaN']) {
      expect(yuanToFen(bad), bad).toBeNull()
    }
    expect(yuanToFen('10000000000')).toBe(MAX_FEN)
    expect(yuanToFen('10000000000.01')).toBeNull()
    expect(yuanToFen('123456789012345678901')).toBeNull()
  })
})

describe('fenToYuan / formatFen', () => {
  it('shows two decimals from integer fen, grouped', () => {
    expect(fenToYuan(0)).toBe('0.00')
    expect(fenToYuan(1)).toBe('0.01')
    expect(fenToYuan(1000)).toBe('10.00')
    expect(fenToYuan(1999)).toBe('19.99')
    expect(fenToYuan(123456789)).toBe('1,234,567.89')
    expect(formatFen(2000)).toBe('¥20.00')
    expect(formatFen(-150)).toBe('-¥1.50')
    expect(fenToInput(123456789)).toBe('1234567.89')
  })
})

describe('discounts', () => {
  it('reads 折 into per mille paid', () => {
    expect(zheToPermille('8.5')).toBe(850)
    expect(zheToPermille('8')).toBe(800)
    expect(zheToPermille('8.85')).toBe(885)
    expect(zheToPermille('0.01')).toBe(1)
    expect(zheToPermille('9.99')).toBe(999)
    for (const bad of ['0', '10', '8.555', '', '-1', 'x', '0.00']) expect(zheToPermille(bad), bad).toBeNull()
  })

  it('shows per mille as 折 and as percent off', () => {
    expect(permilleToZhe(850)).toBe('8.5')
    expect(permilleToZhe(800)).toBe('8')
    expect(permilleToZhe(885)).toBe('8.85')
    expect(permilleToZhe(5)).toBe('0.05')
    expect(permilleToZhe(90)).toBe('0.9')
    expect(permilleToPercentOff(850)).toBe('15')
    expect(permilleToPercentOff(885)).toBe('11.5')
    expect(discountText(850, 'zh-CN')).toBe('8.5 折')
    expect(discountText(850, 'en')).toBe('15% off')
    for (let p = 1; p <= 999; p++) expect(zheToPermille(permilleToZhe(p))).toBe(p)
  })
})
