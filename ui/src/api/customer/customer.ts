// 客户管理 (issue 17; SEC-6): the customer list in the caller's data scope, a customer's page (masked
// profile, points, coupons, campaigns), 显示 (the personal data in full, pii:customer:unmask, each call
// audited by the server) and 导入客户 (the daily extract as a CSV file, customer:customer:import).
import { client, unwrap } from '../client'
import type {
  CustomerCoupons,
  CustomerDetail,
  CustomerImportReport,
  CustomerPage,
  CustomerPersonalData,
  CustomerQuery,
  PointsHistory,
} from '../types'

export function listCustomers(query: CustomerQuery = {}): Promise<CustomerPage> {
  return unwrap(client.GET('/api/v1/customers', { params: { query } }))
}

/** By a whole phone number, sent in the body (never in a URL); 422 QY-CUST-0006 when it is not a mobile number. */
export function customersByPhone(phone: string): Promise<CustomerPage> {
  return unwrap(client.POST('/api/v1/customers/phone-lookup', { body: { phone } }))
}

/** 404 QY-CUST-0001 when the customer is not in the caller's scope. */
export function getCustomer(customerNo: string): Promise<CustomerDetail> {
  return unwrap(client.GET('/api/v1/customers/{customer_no}', { params: { path: { customer_no: customerNo } } }))
}

export function customerPoints(customerNo: string, paging: { page: number; page_size: number }): Promise<PointsHistory> {
  return unwrap(
    client.GET('/api/v1/customers/{customer_no}/points', { params: { path: { customer_no: customerNo }, query: paging } }),
  )
}

export function customerCoupons(customerNo: string, paging: { page: number; page_size: number }): Promise<CustomerCoupons> {
  return unwrap(
    client.GET('/api/v1/customers/{customer_no}/coupons', { params: { path: { customer_no: customerNo }, query: paging } }),
  )
}

/** 显示: the personal data in full; the server records each call in the audit log. */
export function customerPersonalData(customerNo: string): Promise<CustomerPersonalData> {
  return unwrap(
    client.GET('/api/v1/customers/{customer_no}/personal-data', { params: { path: { customer_no: customerNo } } }),
  )
}

/** 导入客户: the file streamed as text/csv; the report names the refused lines by number and reason. */
export function importCustomers(file: File): Promise<CustomerImportReport> {
  return unwrap(
    client.POST('/api/v1/customers/imports', {
      params: { query: { file_name: file.name } },
      // the file's bytes as they are, not JSON
      body: file as unknown as string,
      bodySerializer: (body: unknown) => body as Blob,
      headers: { 'Content-Type': 'text/csv' },
    }),
  )
}
