// 流程监控 (WF-8): the process instances in the caller's data scope, filtered by type, state, overdue
// tasks or no transition for N hours; one instance with its diagram (from the machine's transition
// table), timeline, tasks, pending timers and its page in the Temporal UI.
import { client, unwrap } from '../client'
import type { ProcessDetail, ProcessPage, ProcessQuery } from '../types'

export function listProcesses(query: ProcessQuery = {}): Promise<ProcessPage> {
  return unwrap(client.GET('/api/v1/processes', { params: { query } }))
}

export function getProcess(workflowId: string): Promise<ProcessDetail> {
  return unwrap(client.GET('/api/v1/processes/{workflow_id}', { params: { path: { workflow_id: workflowId } } }))
}
