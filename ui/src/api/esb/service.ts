// 服务目录: the services the ESB gateway serves and its retCode table.
import { client, unwrap } from '../client'
import type { ServiceCatalogue } from '../types'

export function serviceCatalogue(): Promise<ServiceCatalogue> {
  return unwrap(client.GET('/api/v1/esb/services'))
}
