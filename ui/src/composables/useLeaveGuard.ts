// Warns before an edited form is left (issue 15): leaving the page in the app asks 放弃修改？ and the browser's
// own prompt guards closing or reloading the tab. The form is "edited" when `snapshot()` differs from the
// one taken at `markClean()` (after loading, and after a save, before navigating away).
import { ElMessageBox } from 'element-plus'
import { onBeforeUnmount, onMounted } from 'vue'
import { useI18n } from 'vue-i18n'
import { onBeforeRouteLeave } from 'vue-router'

export function useLeaveGuard(snapshot: () => string) {
  const { t } = useI18n()
  let clean = snapshot()

  const dirty = (): boolean => snapshot() !== clean

  function markClean(): void {
    clean = snapshot()
  }

  onBeforeRouteLeave(async () => {
    if (!dirty()) return true
    try {
      await ElMessageBox.confirm(t('common.leaveConfirm'), t('common.leaveTitle'), {
        type: 'warning',
        confirmButtonText: t('common.leave'),
        cancelButtonText: t('common.stay'),
      })
      return true
    } catch {
      return false
    }
  })

  const onUnload = (e: BeforeUnloadEvent): void => {
    if (!dirty()) return
    e.preventDefault()
    e.returnValue = ''
  }
  onMounted(() => window.addEventListener('beforeunload', onUnload))
  onBeforeUnmount(() => window.removeEventListener('beforeunload', onUnload))

  return { dirty, markClean }
}
