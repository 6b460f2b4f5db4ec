// 积分兑换规则 (BEN-5), beside the earning rules under 积分规则: list, 新增, 修改 (made against the version the
// editor read: QY-PTS-0011 when another edit came first), 启用 / 停用, and 试算 — what a price costs in points
// and cash under a rule, and who bears the points' value.
import { client, unwrap } from '../client'
import type { CreateExchangeRuleRequest, ExchangeQuote, ExchangeRule, ExchangeRulePage, ExchangeRuleQuery, UpdateExchangeRuleRequest } from '../types'

export function listExchangeRules(query: ExchangeRuleQuery = {}): Promise<ExchangeRulePage> {
  return unwrap(client.GET('/api/v1/points/exchange-rules', { params: { query } }))
}

/** 422 with `fields` (QY-PTS-0001 shares not summing to 100, 0002 a share without its party, 0016 target, …), 409 QY-PTS-0009 code taken. */
export function createExchangeRule(body: CreateExchangeRuleRequest): Promise<ExchangeRule> {
  return unwrap(client.POST('/api/v1/points/exchange-rules', { body }))
}

export function updateExchangeRule(id: string, body: UpdateExchangeRuleRequest): Promise<ExchangeRule> {
  return unwrap(client.PUT('/api/v1/points/exchange-rules/{id}', { params: { path: { id } }, body }))
}

export function setExchangeRuleStatus(id: string, status: 'active' | 'disabled'): Promise<ExchangeRule> {
  return unwrap(client.POST('/api/v1/points/exchange-rules/{id}/status', { params: { path: { id } }, body: { status } }))
}

export function quoteExchange(id: string, priceFen: number): Promise<ExchangeQuote> {
  return unwrap(client.GET('/api/v1/points/exchange-rules/{id}/quote', { params: { path: { id }, query: { price_fen: priceFen } } }))
}
