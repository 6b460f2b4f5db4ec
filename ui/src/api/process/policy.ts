// 审批策略 (WF-7): the approval levels per process type and variant, the roles and org rules a level may
// name, and replacing a policy's levels. A running process keeps the policy it started with.
import { client, unwrap } from '../client'
import type { ApprovalPolicy, PolicyLevel, PolicyOptions } from '../types'

export function listPolicies(): Promise<ApprovalPolicy[]> {
  return unwrap(client.GET('/api/v1/approval-policies'))
}

export function policyOptions(): Promise<PolicyOptions> {
  return unwrap(client.GET('/api/v1/approval-policies/options'))
}

export function updatePolicy(processType: string, variant: string, levels: PolicyLevel[]): Promise<ApprovalPolicy> {
  return unwrap(
    client.PUT('/api/v1/approval-policies/{process_type}/{variant}', {
      params: { path: { process_type: processType, variant } },
      body: { levels },
    }),
  )
}
