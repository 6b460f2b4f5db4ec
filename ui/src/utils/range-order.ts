// Dates typed in the wrong order (a range's end before its start) used to be cleared by the range pickers
// without a word. One check for every range picker of the app: when a typed start or end leaves the range
// out of order, the picker is marked and a message says so (the picker keeps its previous range).
import { ElMessage } from 'element-plus'

/** Whether `start` … `end` (as typed: `YYYY-MM-DD`, with or without a time) is in order; empty is not judged. */
export function rangeInOrder(start: string, end: string): boolean {
  const a = start.trim()
  const b = end.trim()
  if (!a || !b) return true
  const parse = (s: string): number => Date.parse(s.replace(' ', 'T').replace(/\//g, '-'))
  const [x, y] = [parse(a), parse(b)]
  if (Number.isNaN(x) || Number.isNaN(y)) return true
  return x <= y
}

const MARK = 'qy-range-error'

/**
 * Listens (capturing, before the picker reads them) to the change of every range picker's inputs in `root`:
 * an out-of-order range marks the picker and shows `message()`; the next range in order unmarks it.
 */
export function installRangeOrderCheck(root: Document, message: () => string): () => void {
  const onChange = (event: Event): void => {
    const input = event.target
    if (!(input instanceof HTMLInputElement) || !input.classList.contains('el-range-input')) return
    const editor = input.closest<HTMLElement>('.el-range-editor')
    if (!editor) return
    const [start, end] = [...editor.querySelectorAll<HTMLInputElement>('input.el-range-input')].map((i) => i.value)
    if (start === undefined || end === undefined) return
    if (rangeInOrder(start, end)) {
      editor.classList.remove(MARK)
      return
    }
    editor.classList.add(MARK)
    ElMessage({ type: 'error', message: message(), grouping: true })
  }
  root.addEventListener('change', onChange, true)
  return () => root.removeEventListener('change', onChange, true)
}
