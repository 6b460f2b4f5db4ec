// 待办任务 (WF-7): the inbox by tab (todo: open tasks I may act on, done: tasks I decided, mine: tasks of
// processes I started), the counts for the menu badge and the home page, a decision (同意 / 驳回 / 退回,
// a comment required for the last two), and a transfer to one of the task's candidates.
import { client, unwrap } from '../client'
import type { Candidate, DecisionRequest, ProcessStatus, TaskCounts, TaskPage, TaskQuery, TransferRequest } from '../types'

export function listTasks(query: TaskQuery = {}): Promise<TaskPage> {
  return unwrap(client.GET('/api/v1/tasks', { params: { query } }))
}

export function taskCounts(): Promise<TaskCounts> {
  return unwrap(client.GET('/api/v1/tasks/counts'))
}

/** 409 QY-PROC-0001 (not now), 0002 (own submission), 0003 (not an eligible approver), 0004 (already decided). */
export function decideTask(id: string, body: DecisionRequest): Promise<ProcessStatus> {
  return unwrap(client.POST('/api/v1/tasks/{id}/decision', { params: { path: { id } }, body }))
}

export function taskCandidates(id: string): Promise<Candidate[]> {
  return unwrap(client.GET('/api/v1/tasks/{id}/candidates', { params: { path: { id } } }))
}

/** 409 QY-PROC-0005 when the target may not take the task. */
export function transferTask(id: string, body: TransferRequest): Promise<ProcessStatus> {
  return unwrap(client.POST('/api/v1/tasks/{id}/transfer', { params: { path: { id } }, body }))
}
