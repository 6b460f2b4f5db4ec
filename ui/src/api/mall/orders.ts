// 积分商城 II (issue 19): a supplier's 发货中心 — its orders, one with its delivery address (the read is
// audited) and 订单日志, shipping a paid order, and shipping many from a file the page reads.
import { client, unwrap } from '../client'
import type { BatchShipmentReport, OrderPage, OrderView, SupplierOrder } from '../types'

export function supplierOrders(status: string, page: number, pageSize: number): Promise<OrderPage> {
  return unwrap(
    client.GET('/api/v1/mall/supplier-orders', {
      params: { query: { status: status || undefined, page, page_size: pageSize } },
    }),
  )
}

export function supplierOrder(orderNo: string): Promise<SupplierOrder> {
  return unwrap(client.GET('/api/v1/mall/supplier-orders/{order_no}', { params: { path: { order_no: orderNo } } }))
}

/** 409 QY-MALL-0030 not paid or shipped already; 422 QY-MALL-0036 carrier or tracking number. */
export function ship(orderNo: string, carrier: string, trackingNo: string): Promise<OrderView> {
  return unwrap(
    client.POST('/api/v1/mall/supplier-orders/{order_no}/shipment', {
      params: { path: { order_no: orderNo } },
      body: { carrier, tracking_no: trackingNo },
    }),
  )
}

export function shipBatch(shipments: { order_no: string; carrier: string; tracking_no: string }[]): Promise<BatchShipmentReport> {
  return unwrap(client.POST('/api/v1/mall/supplier-orders/shipments', { body: { shipments } }))
}
