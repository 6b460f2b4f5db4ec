// The signed-in user's task counts (todo, overdue, done, mine) for the side menu's badge and the home
// page: loaded when the layout opens, again after a decision, and every minute while the page is open.
import { defineStore } from 'pinia'
import { ref } from 'vue'
import { taskCounts } from '@/api/process/task'
import type { TaskCounts } from '@/api/types'

export const TASK_POLL_MS = 60_000

export const useTaskStore = defineStore('task', () => {
  const counts = ref<TaskCounts | null>(null)
  let timer: ReturnType<typeof setInterval> | undefined

  /** Reloads the counts; a failure keeps the last ones (the badge is a hint, not a page). */
  async function refresh(): Promise<void> {
    try {
      counts.value = await taskCounts()
    } catch {
      // The inbox page shows errors; the badge just keeps what it had.
    }
  }

  function start(): void {
    stop()
    void refresh()
    timer = setInterval(() => void refresh(), TASK_POLL_MS)
  }

  function stop(): void {
    if (timer) clearInterval(timer)
    timer = undefined
    counts.value = null
  }

  return { counts, refresh, start, stop }
})
