// A form dialog's 确定 / 保存: `submitting` while it runs (a second click does nothing), the form validated
// first, then the server call. A server refusal whose code belongs to a field is shown under that field
// (`fieldErrors`), one the dialog shows itself is left to `onError`, anything else is a message. `submit`
// never rejects.
import type { FormInstance } from 'element-plus'
import { reactive, ref, type Ref } from 'vue'
import { asApiError, type ApiError } from '@/api/error'
import { showError } from '@/utils/notify'

export interface DialogSubmitOptions<Field extends string> {
  /** The fields a server refusal can be shown under; each starts empty. */
  fields?: readonly Field[]
  /** The field a refusal from the server belongs under, by its code (none: not a field's). */
  fieldOf?: (code: string) => Field | undefined
  /** A refusal that is not a field's: true if the dialog showed it, otherwise it is shown as a message. */
  onError?: (error: ApiError) => boolean
}

export function useDialogSubmit<Field extends string = never>(
  formRef: Ref<FormInstance | undefined>,
  options: DialogSubmitOptions<Field> = {},
) {
  const submitting = ref(false)
  const fieldErrors = reactive(Object.fromEntries((options.fields ?? []).map((f) => [f, '']))) as Record<Field, string>

  /** Empties every field's server error. */
  function clearFieldErrors(): void {
    for (const field of options.fields ?? []) fieldErrors[field] = ''
  }

  /** Validates the form, then runs `task` (the server call and what follows its success). */
  async function submit(task: () => Promise<void>): Promise<void> {
    if (submitting.value) return
    const valid = await formRef.value?.validate().catch(() => false)
    if (!valid) return
    submitting.value = true
    try {
      await task()
    } catch (err) {
      const e = asApiError(err)
      const field = e.fromServer ? options.fieldOf?.(e.code) : undefined
      if (field) fieldErrors[field] = e.message
      else if (!options.onError?.(e)) showError(e)
    } finally {
      submitting.value = false
    }
  }

  return { submitting, fieldErrors, clearFieldErrors, submit }
}
