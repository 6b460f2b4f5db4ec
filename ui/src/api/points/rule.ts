// 积分规则 (BEN-5): the rule library — list, a rule with its versions, 新增, 修改 (a new version, made
// against the version the editor read: QY-PTS-0011 when another edit came first), 启用 / 停用.
import { client, unwrap } from '../client'
import type { CreatePointRuleRequest, PointRuleDetail, PointRulePage, PointRuleQuery, UpdatePointRuleRequest } from '../types'

export function listPointRules(query: PointRuleQuery = {}): Promise<PointRulePage> {
  return unwrap(client.GET('/api/v1/points/rules', { params: { query } }))
}

export function getPointRule(id: string): Promise<PointRuleDetail> {
  return unwrap(client.GET('/api/v1/points/rules/{id}', { params: { path: { id } } }))
}

/** 422 with `fields` (QY-PTS-0001 shares not summing to 100, 0002 a share without its party, …), 409 QY-PTS-0009 code taken. */
export function createPointRule(body: CreatePointRuleRequest): Promise<PointRuleDetail> {
  return unwrap(client.POST('/api/v1/points/rules', { body }))
}

export function updatePointRule(id: string, body: UpdatePointRuleRequest): Promise<PointRuleDetail> {
  return unwrap(client.PUT('/api/v1/points/rules/{id}', { params: { path: { id } }, body }))
}

export function setPointRuleStatus(id: string, status: 'active' | 'disabled'): Promise<PointRuleDetail> {
  return unwrap(client.POST('/api/v1/points/rules/{id}/status', { params: { path: { id } }, body: { status } }))
}
