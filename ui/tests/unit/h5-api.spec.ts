// The H5's small helpers: prices in points and/or yuan, and banner links as H5 routes.
import { describe, expect, it } from 'vitest'
import { imageUrl, priceText, routeOf } from '@/h5/api'

describe('priceText', () => {
  it('shows points, yuan, or both', () => {
    expect(priceText(12800, 0)).toBe('12,800 积分')
    expect(priceText(0, 990)).toBe('¥9.90')
    expect(priceText(6800, 990)).toBe('6,800 积分 + ¥9.90')
  })
})

describe('routeOf', () => {
  it('turns a link inside the mall into a route and leaves others alone', () => {
    expect(routeOf('/h5/check-in')).toBe('/check-in')
    expect(routeOf('/h5/category/tea')).toBe('/category/tea')
    expect(routeOf('/h5')).toBe('/')
    expect(routeOf('https://bank.example/a')).toBeNull()
    expect(routeOf('/campaigns')).toBeNull()
    expect(routeOf(null)).toBeNull()
  })
})

describe('imageUrl', () => {
  it('names the catalogue image, or nothing', () => {
    expect(imageUrl('5b4c')).toBe('/api/v1/catalogue/images/5b4c')
    expect(imageUrl(null)).toBe('')
  })
})
