// 通知记录: every notice in the outbox (e-mail, SMS, WeChat robot, ESB callback), newest first, filtered and
// paged; recipients come masked.
import { client, unwrap } from '../client'
import type { NotificationPage, NotificationQuery } from '../types'

export function listNotifications(query: NotificationQuery = {}): Promise<NotificationPage> {
  return unwrap(client.GET('/api/v1/system/notifications', { params: { query } }))
}
