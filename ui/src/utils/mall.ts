// 积分商城 helpers shared by the staff's and the supplier's pages: state colours, prices in points and yuan.
import type { ProductBody, ProductDetail } from '@/api/types'

/** One colour per product state, as the listing diagram draws it. */
export function statusTag(status: string): 'info' | 'warning' | 'success' | 'danger' {
  switch (status) {
    case 'pending':
      return 'warning'
    case 'listed':
      return 'success'
    case 'delisted':
      return 'danger'
    default:
      return 'info'
  }
}

/** Fen as yuan with two decimals. */
export function yuan(fen: number): string {
  return (fen / 100).toFixed(2)
}

/** Yuan typed in a form as fen (rounded to the fen); NaN stays NaN for the form to refuse. */
export function toFen(yuanValue: number): number {
  return Math.round(yuanValue * 100)
}

/** A product's detail as the body that edits it (the live or draft version). */
export function bodyOf(detail: ProductDetail): ProductBody {
  return {
    category_code: detail.category_code,
    name: detail.name,
    subtitle: detail.subtitle ?? null,
    description: detail.description,
    images: [...detail.images],
    tags: [...detail.tags],
    skus: detail.skus.map((s) => ({
      code: s.code,
      spec: s.spec,
      price_points: s.price_points,
      price_fen: s.price_fen,
      market_price_fen: s.market_price_fen ?? null,
      stock: s.stock,
    })),
    reason: null,
  }
}
