// 投放查询 (MKT-8): what channel `code` shows a customer now, in the channel's order. Staff lookups count
// no showing; each one is in the operation log. 404 QY-CAMP-0009 for an unknown channel, 422 QY-CAMP-0010
// for a customer number that is not 6–32 letters or digits.
import { client, unwrap } from '../client'
import type { DeliveryAnswer } from '../types'

export function queryDelivery(channel: string, customer: string): Promise<DeliveryAnswer> {
  return unwrap(client.GET('/api/v1/channels/{code}/campaigns', { params: { path: { code: channel }, query: { customer } } }))
}
