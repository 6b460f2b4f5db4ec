// Copies text to the clipboard. The async Clipboard API needs a secure context (HTTPS or localhost);
// a bank intranet served over plain HTTP has none, so fall back to a hidden textarea and execCommand.
// Rejects when neither works, so the caller can ask the user to copy by hand.
export async function copyText(text: string): Promise<void> {
  if (typeof navigator !== 'undefined' && navigator.clipboard && globalThis.isSecureContext !== false) {
    try {
      await navigator.clipboard.writeText(text)
      return
    } catch {
      // Permission refused or document not focused: try the old way below.
    }
  }
  const area = document.createElement('textarea')
  area.value = text
  area.setAttribute('readonly', '')
  area.style.position = 'fixed'
  area.style.top = '-1000px'
  area.style.opacity = '0'
  document.body.appendChild(area)
  const selection = document.getSelection()
  const previous = selection && selection.rangeCount > 0 ? selection.getRangeAt(0) : null
  area.focus()
  area.select()
  let ok: boolean
  try {
    ok = typeof document.execCommand === 'function' && document.execCommand('copy')
  } finally {
    document.body.removeChild(area)
    if (previous && selection) {
      selection.removeAllRanges()
      selection.addRange(previous)
    }
  }
  if (!ok) throw new Error('copy failed')
}
