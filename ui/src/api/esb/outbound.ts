// 外呼日志: every outbound HTTP attempt (SMS platform, WeChat robot, ESB), newest first, filtered and
// paged; the request and response excerpts come masked.
import { client, unwrap } from '../client'
import type { OutboundPage, OutboundQuery } from '../types'

export function listOutbound(query: OutboundQuery = {}): Promise<OutboundPage> {
  return unwrap(client.GET('/api/v1/esb/outbound', { params: { query } }))
}
