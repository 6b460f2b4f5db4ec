// 报文日志: every ESB message, newest first, filtered and paged; one message with both envelopes masked.
import { client, unwrap } from '../client'
import type { EsbMessageDetail, EsbMessagePage, EsbMessageQuery } from '../types'

export function listMessages(query: EsbMessageQuery = {}): Promise<EsbMessagePage> {
  return unwrap(client.GET('/api/v1/esb/messages', { params: { query } }))
}

/** 404 QY-ESB-0007 when there is no such message. */
export function getMessage(id: number): Promise<EsbMessageDetail> {
  return unwrap(client.GET('/api/v1/esb/messages/{id}', { params: { path: { id } } }))
}
