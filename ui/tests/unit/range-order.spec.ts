import { ElMessage } from 'element-plus'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { installRangeOrderCheck } from '@/utils/range-order'

vi.mock('element-plus', async (original) => ({ ...(await original<Record<string, unknown>>()), ElMessage: vi.fn() }))

function picker(start: string, end: string): { editor: HTMLDivElement; inputs: HTMLInputElement[] } {
  const editor = document.createElement('div')
  editor.className = 'el-date-editor el-range-editor'
  const inputs = [start, end].map((value) => {
    const input = document.createElement('input')
    input.className = 'el-range-input'
    input.value = value
    editor.appendChild(input)
    return input
  })
  document.body.appendChild(editor)
  return { editor, inputs }
}

afterEach(() => {
  document.body.innerHTML = ''
  vi.mocked(ElMessage).mockReset()
})

describe('every range picker', () => {
  it('says so when a typed range ends before it starts, and unmarks it once in order', () => {
    const uninstall = installRangeOrderCheck(document, () => '结束时间不能早于开始时间')
    const { editor, inputs } = picker('2026-12-07', '2026-12-01')
    inputs[1]!.dispatchEvent(new Event('change', { bubbles: true }))
    expect(editor.classList.contains('qy-range-error')).toBe(true)
    expect(ElMessage).toHaveBeenCalledWith(expect.objectContaining({ type: 'error', message: '结束时间不能早于开始时间' }))
    inputs[1]!.value = '2026-12-09'
    inputs[1]!.dispatchEvent(new Event('change', { bubbles: true }))
    expect(editor.classList.contains('qy-range-error')).toBe(false)
    expect(ElMessage).toHaveBeenCalledTimes(1)
    uninstall()
  })

  it('leaves other inputs alone', () => {
    const uninstall = installRangeOrderCheck(document, () => 'x')
    const input = document.createElement('input')
    document.body.appendChild(input)
    input.dispatchEvent(new Event('change', { bubbles: true }))
    expect(ElMessage).not.toHaveBeenCalled()
    uninstall()
  })
})
