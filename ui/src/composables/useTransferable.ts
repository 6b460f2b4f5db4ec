// 转办 only where someone may take the task (issue 15: it was offered when nobody was eligible). The task's
// candidates are asked for once per task; until they are known, or when they cannot be read, the answer is
// the server's to give: not known hides, a failed look-up shows (the dialog then says what it can).
import { reactive } from 'vue'
import { taskCandidates } from '@/api/process/task'
import type { Task } from '@/api/types'

export function useTransferable() {
  const known = reactive(new Map<string, boolean>())

  /** Looks up the candidates of the open tasks among `tasks` not looked up yet. */
  async function check(tasks: readonly Pick<Task, 'id' | 'status'>[]): Promise<void> {
    const open = tasks.filter((x) => x.status === 'open' && !known.has(x.id))
    await Promise.all(
      open.map(async (x) => {
        try {
          known.set(x.id, (await taskCandidates(x.id)).length > 0)
        } catch {
          known.set(x.id, true)
        }
      }),
    )
  }

  /** Whether 转办 is offered for `task`. */
  function transferable(task: Pick<Task, 'id'> | null | undefined): boolean {
    return task != null && known.get(task.id) === true
  }

  return { check, transferable }
}
