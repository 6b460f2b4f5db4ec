// 权益信息查询 and 权益库存变动查询 (BEN-1, BEN-2): coupon templates with their stock, 上架/下架, adding or
// withdrawing unclaimed stock, withdrawing claimed-but-unused coupons (step-up: QY-AUTH-0011 opens the
// re-auth dialog and the client retries), and a template's stock ledger with its day-by-day totals.
import { client, unwrap } from '../client'
import type { CreateTemplateRequest, MovementPage, StockChangePending, StockRequest, TemplatePage, TemplateTerms } from '../types'

export interface TemplateQuery {
  q?: string
  page?: number
  page_size?: number
}

export function listTemplates(query: TemplateQuery = {}): Promise<TemplatePage> {
  return unwrap(client.GET('/api/v1/benefits/templates', { params: { query } }))
}

/** 201; 422 with `fields` (QY-BEN-1003/1006/1007/1008), 409 QY-BEN-1001 when the code is taken. */
export async function createTemplate(body: CreateTemplateRequest): Promise<string> {
  return (await unwrap(client.POST('/api/v1/benefits/templates', { body }))).id
}

/** 编辑: 204; 422 with `fields` as for create, 409 QY-BEN-1013 when claimed coupons freeze amounts or validity. */
export async function updateTemplate(code: string, body: TemplateTerms): Promise<void> {
  await unwrap(client.PUT('/api/v1/benefits/templates/{code}', { params: { path: { code } }, body }))
}

/** 上架 (`active`, from draft) or 下架 (`withdrawn`: no more claims); 409 QY-BEN-1005 from a wrong status. */
export async function setTemplateStatus(code: string, status: 'active' | 'withdrawn'): Promise<void> {
  await unwrap(client.POST('/api/v1/benefits/templates/{code}/status', { params: { path: { code } }, body: { status } }))
}

/**
 * 增加库存 / 收回库存 (unclaimed stock only); 409 QY-BEN-1004 when not that much is left. An increase
 * above the server's approval limit is not made at once: it answers the approval process it started.
 */
export async function changeStock(code: string, body: StockRequest): Promise<StockChangePending | undefined> {
  return (await unwrap(client.POST('/api/v1/benefits/templates/{code}/stock', { params: { path: { code } }, body }))) ?? undefined
}

/** 收回未使用的券: every claimed-but-unused coupon of the template; answers how many. Step-up. */
export async function withdrawCoupons(code: string): Promise<number> {
  return (await unwrap(client.POST('/api/v1/benefits/templates/{code}/coupon-withdrawal', { params: { path: { code } } }))).withdrawn
}

export function listMovements(code: string, query: { page?: number; page_size?: number } = {}): Promise<MovementPage> {
  return unwrap(client.GET('/api/v1/benefits/templates/{code}/movements', { params: { path: { code }, query } }))
}
