// A form dialog's 确定 / 保存: `submitting` while it runs (a second click does nothing), the form validated
// first, then the server call. A server refusal naming fields (SEC-8 `fields`, mapped by `fieldNames`) or
// whose code belongs to a field (`fieldOf`) is shown under those fields (`fieldErrors`), one the dialog
// shows itself is left to `onError`, anything else is a message. `submit` never rejects.
import type { FormInstance } from 'element-plus'
import { reactive, ref, type Ref } from 'vue'
import { asApiError, type ApiError } from '@/api/error'
import { placeFieldErrors, placedAny } from '@/utils/field-errors'
import { showError } from '@/utils/notify'

export interface DialogSubmitOptions<Field extends string> {
  /** The fields a server refusal can be shown under; each starts empty. */
  fields?: readonly Field[]
  /** The field a refusal from the server belongs under, by its code (none: not a field's). */
  fieldOf?: (code: string) => Field | undefined
  /** The form field of each request-body field name the server may list in `fields` (`display_name` → `displayName`). */
  fieldNames?: Readonly<Record<string, Field>>
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
      const placement = placeFieldErrors<Field>(e, options.fieldNames ?? {}, options.fieldOf)
      if (placedAny(placement)) {
        clearFieldErrors()
        Object.assign(fieldErrors, placement.errors)
        // Fields the form does not show (should not happen) still deserve a message.
        if (placement.unplaced.length > 0) showError(e)
      } else if (!options.onError?.(e)) showError(e)
    } finally {
      submitting.value = false
    }
  }

  return { submitting, fieldErrors, clearFieldErrors, submit }
}
