import { beforeEach, describe, expect, it, vi } from 'vitest'
import { taskCandidates } from '@/api/process/task'
import { useTransferable } from '@/composables/useTransferable'

vi.mock('@/api/process/task', () => ({ taskCandidates: vi.fn() }))

beforeEach(() => vi.mocked(taskCandidates).mockReset())

describe('转办 only with someone to take the task', () => {
  it('offers it where the task has candidates, hides it where it has none or is not known yet', async () => {
    vi.mocked(taskCandidates).mockImplementation((id: string) =>
      Promise.resolve(id === 'a' ? [{ id: 'u1', username: 'reviewer2', display_name: '复核岗' }] : []) as ReturnType<typeof taskCandidates>,
    )
    const { check, transferable } = useTransferable()
    expect(transferable({ id: 'a' })).toBe(false)
    await check([
      { id: 'a', status: 'open' },
      { id: 'b', status: 'open' },
      { id: 'c', status: 'done' },
    ])
    expect(transferable({ id: 'a' })).toBe(true)
    expect(transferable({ id: 'b' })).toBe(false)
    expect(transferable({ id: 'c' })).toBe(false)
    expect(vi.mocked(taskCandidates).mock.calls.map(([id]) => id)).toEqual(['a', 'b'])
    // asked once per task
    await check([{ id: 'a', status: 'open' }])
    expect(taskCandidates).toHaveBeenCalledTimes(2)
  })

})
