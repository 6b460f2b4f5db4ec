import { describe, expect, it } from 'vitest'
import { badNetworks, emptyMessageSearch, messageFilters, parseNetworks, retCodeTag, validConsumerCode, validNetwork, validRate } from '@/utils/esb'

describe('ESB consumer rules', () => {
  it('takes addresses and networks as the server does', () => {
    for (const ok of ['10.1.2.3', '10.1.2.0/24', '0.0.0.0/0', '10.1.2.3/32', '::1', '2001:db8::/32', 'fe80::1:2']) {
      expect(validNetwork(ok), ok).toBe(true)
    }
    for (const bad of ['', '10.1.2', '10.1.2.3/24', '10.1.2.0/33', '10.1.2.0/', '256.1.1.1', '10.1.2.0/24/1', '2001:db8::1/32', '1::2::3', 'intranet']) {
      expect(validNetwork(bad), bad).toBe(false)
    }
  })

  it('reads the source-address box one per line, by commas or spaces', () => {
    expect(parseNetworks(' 10.0.0.0/8\n192.168.1.5, 172.16.0.0/12 ；::1 \n\n')).toEqual(['10.0.0.0/8', '192.168.1.5', '172.16.0.0/12', '::1'])
    expect(parseNetworks('  ')).toEqual([])
    expect(badNetworks('10.0.0.0/8\n10.1.2.3/24\nabc')).toEqual(['10.1.2.3/24', 'abc'])
  })

  it('checks the code and the rate limit', () => {
    expect(validConsumerCode('gmp')).toBe(true)
    expect(validConsumerCode('grid_mkt-01')).toBe(true)
    expect(validConsumerCode('GMP')).toBe(false)
    expect(validConsumerCode('g1')).toBe(false)
    expect(validConsumerCode('1gmp')).toBe(false)
    expect(validRate(1)).toBe(true)
    expect(validRate(100_000)).toBe(true)
    expect(validRate(0)).toBe(false)
    expect(validRate(100_001)).toBe(false)
    expect(validRate(1.5)).toBe(false)
    expect(validRate(undefined)).toBe(false)
  })
})

describe('ESB message log', () => {
  it('colours a retCode by who must act', () => {
    expect(retCodeTag('000000')).toBe('success')
    expect(retCodeTag('GW-C-0102')).toBe('warning')
    expect(retCodeTag('BIZ-C-0001')).toBe('warning')
    expect(retCodeTag('SYS-P-0001')).toBe('danger')
    expect(retCodeTag('GW-P-0202')).toBe('danger')
    expect(retCodeTag('???')).toBe('info')
  })

  it('turns the search into the query, a retCode winning over the result', () => {
    expect(messageFilters(emptyMessageSearch())).toEqual({})
    expect(messageFilters({ ...emptyMessageSearch(), consumer: ' gmp ', service: 'process.query', result: 'success', seqNo: ' GMP-1 ' })).toEqual({
      consumer: 'gmp',
      service: 'process.query',
      ret_code: '000000',
      seq_no: 'GMP-1',
    })
    expect(messageFilters({ ...emptyMessageSearch(), result: 'failure' })).toEqual({ failed: true })
    expect(messageFilters({ ...emptyMessageSearch(), result: 'failure', retCode: 'GW-C-0102' })).toEqual({ ret_code: 'GW-C-0102' })
    expect(messageFilters({ ...emptyMessageSearch(), range: ['2026-11-26 00:00:00', '2026-11-26 23:59:59'] })).toEqual({
      from: '2026-11-26T00:00:00+08:00',
      to: '2026-11-27T00:00:00+08:00',
    })
  })
})

describe('ESB strings', () => {
  it('compile in both languages (no stray @ or braces)', async () => {
    const { i18n, setLocale } = await import('@/locales')
    const { esbZhCN } = await import('@/locales/esb.zh-CN')
    const keys = (o: object, prefix: string): string[] =>
      Object.entries(o).flatMap(([k, v]) => (typeof v === 'string' ? [`${prefix}.${k}`] : keys(v as object, `${prefix}.${k}`)))
    for (const locale of ['zh-CN', 'en'] as const) {
      setLocale(locale)
      for (const key of keys(esbZhCN, 'esb')) expect(() => i18n.global.t(key, { code: 'gmp', n: 1, list: 'x', rate: 1, burst: 2 }), key).not.toThrow()
    }
    setLocale('zh-CN')
    expect(i18n.global.t('esb.consumer.actingUserHint')).toContain('用户@esb:编号')
  })
})
