// The campaign machine's transition table (workflows/src/campaign/machine.rs, its snapshot), for the
// campaign page when the server's diagram is not at hand: the campaign detail does not carry one, and
// the process monitor's (which does) needs process:instance:view, which planners lack. The monitor and
// any page that has the server's diagram draw that one.
import type { Diagram } from '@/api/types'

const S = (id: string, label_zh: string, label_en: string, terminal = false) => ({ id, label_zh, label_en, terminal })
const T = (from: string, to: string, event: string, label_zh: string, label_en: string) => ({ from, to, event, label_zh, label_en })

export const CAMPAIGN_DIAGRAM: Diagram = {
  states: [
    S('Draft', '草稿', 'Draft'),
    S('FirstReview', '待初审', 'First review'),
    S('SecondReview', '待复核', 'Second review'),
    S('Scheduled', '待发布', 'Scheduled'),
    S('Running', '进行中', 'Running'),
    S('Paused', '已暂停', 'Paused'),
    S('Ended', '已结束', 'Ended'),
    S('Evaluated', '已评估', 'Evaluated', true),
    S('Rejected', '已驳回', 'Rejected', true),
    S('Cancelled', '已取消', 'Cancelled', true),
  ],
  transitions: [
    T('Draft', 'FirstReview', 'Submit', '提交', 'Submit'),
    T('Draft', 'Cancelled', 'Cancel', '取消', 'Cancel'),
    T('FirstReview', 'SecondReview', 'ApproveLevel', '初审通过', 'Approve'),
    T('FirstReview', 'Scheduled', 'ApproveFinal', '审批通过', 'Approved'),
    T('FirstReview', 'Rejected', 'Reject', '驳回', 'Reject'),
    T('FirstReview', 'Draft', 'Return', '退回', 'Return'),
    T('FirstReview', 'Draft', 'Withdraw', '撤回', 'Withdraw'),
    T('SecondReview', 'Scheduled', 'ApproveFinal', '审批通过', 'Approved'),
    T('SecondReview', 'Rejected', 'Reject', '驳回', 'Reject'),
    T('SecondReview', 'Draft', 'Return', '退回', 'Return'),
    T('SecondReview', 'Draft', 'Withdraw', '撤回', 'Withdraw'),
    T('Scheduled', 'Running', 'StartTime', '开始', 'Starts'),
    T('Scheduled', 'Cancelled', 'Cancel', '取消', 'Cancel'),
    T('Running', 'Paused', 'Pause', '暂停', 'Pause'),
    T('Running', 'Ended', 'EndTime', '结束', 'Ends'),
    T('Running', 'Ended', 'TerminateApproved', '终止', 'Terminated'),
    T('Paused', 'Running', 'Resume', '恢复', 'Resume'),
    T('Paused', 'Ended', 'EndTime', '结束', 'Ends'),
    T('Paused', 'Ended', 'TerminateApproved', '终止', 'Terminated'),
    T('Ended', 'Evaluated', 'Evaluated', '评估', 'Evaluate'),
  ],
}

/** Names of the machine's events for the timeline (the table's, plus those that change no state). */
const EVENT_LABELS: Readonly<Record<string, readonly [string, string]>> = {
  Start: ['创建', 'Created'],
  ApproveLevel: ['本级通过', 'Level approved'],
  RequestChange: ['申请变更', 'Change requested'],
  ChangeApproved: ['变更通过', 'Change approved'],
  ChangeRejected: ['变更驳回', 'Change rejected'],
  RequestTerminate: ['申请终止', 'Termination requested'],
}

/**
 * An event's name in the UI language: from the diagram's transitions when one carries it (the server's
 * words), else the UI's own, else the code as it is.
 */
export function eventLabel(event: string, locale: string, diagram: Diagram = CAMPAIGN_DIAGRAM): string {
  const zh = locale.startsWith('zh')
  const tr = diagram.transitions.find((x) => x.event === event) ?? CAMPAIGN_DIAGRAM.transitions.find((x) => x.event === event)
  if (tr) return zh ? tr.label_zh : tr.label_en
  const own = EVENT_LABELS[event]
  return own ? own[zh ? 0 : 1] : event
}
