// 积分商城 I (issue 18): staff's 商品管理 (every supplier's products, 强制下架), categories, 导航栏/轮播图 and
// 评价审核; a supplier's 我的商品 (new, edit, delete by state, 提交上架, 补库存, 申请下架). A listing, a change
// to a listed product, a large stock increase and a delisting wait for the process listing-<id>; the server
// keeps a supplier's calls to its own products.
import { client, unwrap } from '../client'
import type {
  BannerBody,
  BannerRow,
  CategoryBody,
  CategoryRow,
  ListingPending,
  ProductBody,
  ProductDetail,
  ProductRow,
  ReviewRow,
} from '../types'

export function myProducts(status?: string): Promise<ProductRow[]> {
  return unwrap(client.GET('/api/v1/supplier/products', { params: { query: { status: status || undefined } } }))
}

export function myProduct(code: string): Promise<ProductDetail> {
  return unwrap(client.GET('/api/v1/supplier/products/{code}', { params: { path: { code } } }))
}

/** 201 with the product's number (SP…); 422 QY-MALL-0002/0003/0004/0011 with fields. */
export async function createProduct(body: ProductBody): Promise<string> {
  return (await unwrap(client.POST('/api/v1/supplier/products', { body }))).code
}

/** A draft saves at once (null); a listed product's change waits for approval (the process). */
export async function editProduct(code: string, body: ProductBody): Promise<ListingPending | null> {
  const pending: unknown = await unwrap(client.PUT('/api/v1/supplier/products/{code}', { params: { path: { code } }, body }))
  return (pending as ListingPending | undefined) ?? null
}

export async function deleteProduct(code: string): Promise<void> {
  await unwrap(client.DELETE('/api/v1/supplier/products/{code}', { params: { path: { code } } }))
}

/** 提交上架: 202 with the process (审核, then 复核); 422 QY-MALL-0005 images, SKUs or description missing. */
export function submitProduct(code: string): Promise<ListingPending> {
  return unwrap(client.POST('/api/v1/supplier/products/{code}/submission', { params: { path: { code } } }))
}

/** 补库存: added at once (null) up to the threshold, else waiting for approval (the process). */
export async function addStock(code: string, body: { sku_code: string; quantity: number; reason?: string | null }): Promise<ListingPending | null> {
  const pending: unknown = await unwrap(client.POST('/api/v1/supplier/products/{code}/stock', { params: { path: { code } }, body }))
  return (pending as ListingPending | undefined) ?? null
}

export function requestDelist(code: string, reason: string): Promise<ListingPending> {
  return unwrap(client.POST('/api/v1/supplier/products/{code}/delist-request', { params: { path: { code } }, body: { reason } }))
}

export function products(status?: string): Promise<ProductRow[]> {
  return unwrap(client.GET('/api/v1/mall/products', { params: { query: { status: status || undefined } } }))
}

export function product(code: string): Promise<ProductDetail> {
  return unwrap(client.GET('/api/v1/mall/products/{code}', { params: { path: { code } } }))
}

/** 强制下架: at once, with a reason, audited. */
export async function forceDelist(code: string, reason: string): Promise<void> {
  await unwrap(client.POST('/api/v1/mall/products/{code}/forced-delist', { params: { path: { code } }, body: { reason } }))
}

export function categories(): Promise<CategoryRow[]> {
  return unwrap(client.GET('/api/v1/mall/categories'))
}

/** The category tree as a supplier sees it (我的商品), under the supplier's own permission. */
export function supplierCategories(): Promise<CategoryRow[]> {
  return unwrap(client.GET('/api/v1/supplier/categories'))
}

export async function createCategory(body: CategoryBody): Promise<void> {
  await unwrap(client.POST('/api/v1/mall/categories', { body }))
}

export async function updateCategory(code: string, body: CategoryBody): Promise<void> {
  await unwrap(client.PUT('/api/v1/mall/categories/{code}', { params: { path: { code } }, body }))
}

export async function deleteCategory(code: string): Promise<void> {
  await unwrap(client.DELETE('/api/v1/mall/categories/{code}', { params: { path: { code } } }))
}

export function banners(): Promise<BannerRow[]> {
  return unwrap(client.GET('/api/v1/mall/banners', { params: { query: {} } }))
}

export async function createBanner(body: BannerBody): Promise<void> {
  await unwrap(client.POST('/api/v1/mall/banners', { body }))
}

export async function updateBanner(id: string, body: BannerBody): Promise<void> {
  await unwrap(client.PUT('/api/v1/mall/banners/{id}', { params: { path: { id } }, body }))
}

export async function deleteBanner(id: string): Promise<void> {
  await unwrap(client.DELETE('/api/v1/mall/banners/{id}', { params: { path: { id } } }))
}

export function reviews(status?: string): Promise<ReviewRow[]> {
  return unwrap(client.GET('/api/v1/mall/reviews', { params: { query: { status: status || undefined } } }))
}

export async function moderateReview(id: string, action: 'approve' | 'hide'): Promise<void> {
  await unwrap(client.POST('/api/v1/mall/reviews/{id}/moderation', { params: { path: { id } }, body: { action } }))
}

/** An image for a product or banner (multipart, the field `file`): its file id. The server tells its kind by content. */
export async function uploadImage(file: File): Promise<string> {
  const form = new FormData()
  form.append('file', file, file.name)
  const kept = await unwrap(
    client.POST('/api/v1/files', {
      body: form as unknown as string,
      // the browser sets the multipart boundary
      bodySerializer: (body: unknown) => body as FormData,
    }),
  )
  return kept.id
}
