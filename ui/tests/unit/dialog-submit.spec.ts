import type { FormInstance } from 'element-plus'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { ref } from 'vue'
import { toApiError } from '@/api/error'
import { useDialogSubmit } from '@/composables/useDialogSubmit'
import type * as Notify from '@/utils/notify'
import { showError } from '@/utils/notify'
import { errorBody } from './helpers'

vi.mock('@/utils/notify', async (importOriginal) => ({ ...(await importOriginal<typeof Notify>()), showError: vi.fn() }))
const showErrorMock = vi.mocked(showError)

/** A stand-in for the form: only `validate` is used. */
function formRef(valid: boolean) {
  const validate = vi.fn(() => (valid ? Promise.resolve(true) : Promise.reject(new Error('invalid'))))
  return { ref: ref({ validate } as unknown as FormInstance), validate }
}

const refusal = (code: string) => toApiError(422, errorBody(code))

describe('useDialogSubmit', () => {
  beforeEach(() => showErrorMock.mockReset())

  it('does not call the server when the form is invalid', async () => {
    const { ref: form } = formRef(false)
    const { submit, submitting } = useDialogSubmit(form)
    const task = vi.fn(async () => {})
    await submit(task)
    expect(task).not.toHaveBeenCalled()
    expect(submitting.value).toBe(false)
  })

  it('does nothing without a form', async () => {
    const { submit } = useDialogSubmit(ref<FormInstance>())
    const task = vi.fn(async () => {})
    await submit(task)
    expect(task).not.toHaveBeenCalled()
  })

  it('is submitting while the task runs and ignores a second submit meanwhile', async () => {
    const { ref: form } = formRef(true)
    const { submit, submitting } = useDialogSubmit(form)
    let finish!: () => void
    const task = vi.fn(() => new Promise<void>((resolve) => (finish = resolve)))
    const first = submit(task)
    await vi.waitFor(() => expect(task).toHaveBeenCalledTimes(1))
    expect(submitting.value).toBe(true)
    await submit(task)
    expect(task).toHaveBeenCalledTimes(1)
    finish()
    await first
    expect(submitting.value).toBe(false)
    expect(showErrorMock).not.toHaveBeenCalled()
  })

  it('puts a server refusal under its field, by code', async () => {
    const { ref: form } = formRef(true)
    const { submit, fieldErrors, submitting, clearFieldErrors } = useDialogSubmit(form, {
      fields: ['username', 'roles'],
      fieldOf: (code) => ({ 'QY-SYS-1002': 'username' as const })[code],
    })
    expect(fieldErrors).toEqual({ username: '', roles: '' })
    await submit(() => Promise.reject(refusal('QY-SYS-1002')))
    expect(fieldErrors).toEqual({ username: 'message of QY-SYS-1002', roles: '' })
    expect(showErrorMock).not.toHaveBeenCalled()
    expect(submitting.value).toBe(false)
    clearFieldErrors()
    expect(fieldErrors).toEqual({ username: '', roles: '' })
  })

  it('shows other refusals, and a field code not from the server, as a message', async () => {
    const { ref: form } = formRef(true)
    const { submit, fieldErrors } = useDialogSubmit(form, { fields: ['username'], fieldOf: () => 'username' })
    await submit(() => Promise.reject(new TypeError('Failed to fetch')))
    expect(fieldErrors.username).toBe('')
    expect(showErrorMock).toHaveBeenCalledTimes(1)
    expect(showErrorMock.mock.calls[0]![0]).toMatchObject({ fromServer: false })
  })

  it('leaves a refusal the dialog shows itself to onError', async () => {
    const { ref: form } = formRef(true)
    const shown: string[] = []
    const { submit } = useDialogSubmit(form, {
      onError: (e) => {
        if (e.code !== 'QY-SYS-1011') return false
        shown.push(e.code)
        return true
      },
    })
    await submit(() => Promise.reject(refusal('QY-SYS-1011')))
    expect(shown).toEqual(['QY-SYS-1011'])
    expect(showErrorMock).not.toHaveBeenCalled()
    await submit(() => Promise.reject(refusal('QY-SYS-1004')))
    expect(shown).toEqual(['QY-SYS-1011'])
    expect(showErrorMock).toHaveBeenCalledWith(expect.objectContaining({ code: 'QY-SYS-1004', fromServer: true }))
  })

  it('puts every field a 422 names under its form item, replacing the previous ones', async () => {
    const { ref: form } = formRef(true)
    const { submit, fieldErrors } = useDialogSubmit(form, {
      fields: ['username', 'displayName', 'phone'],
      fieldNames: { username: 'username', display_name: 'displayName', phone: 'phone' },
    })
    fieldErrors.username = 'old'
    const body = {
      ...errorBody('QY-SYS-1007'),
      fields: [
        { field: 'display_name', code: 'QY-SYS-1007', message: '姓名不能为空' },
        { field: 'phone', code: 'QY-SYS-1013', message: '手机号格式不正确' },
      ],
    }
    await submit(() => Promise.reject(toApiError(422, body)))
    expect(fieldErrors).toEqual({ username: '', displayName: '姓名不能为空', phone: '手机号格式不正确' })
    expect(showErrorMock).not.toHaveBeenCalled()
  })

  it('also shows a message when some named fields are not on the form', async () => {
    const { ref: form } = formRef(true)
    const { submit, fieldErrors } = useDialogSubmit(form, { fields: ['phone'], fieldNames: { phone: 'phone' } })
    const body = {
      ...errorBody('QY-SYS-1013'),
      fields: [
        { field: 'phone', code: 'QY-SYS-1013', message: '手机号格式不正确' },
        { field: 'org_id', code: 'QY-REQ-0002', message: '缺少 org_id' },
      ],
    }
    await submit(() => Promise.reject(toApiError(422, body)))
    expect(fieldErrors.phone).toBe('手机号格式不正确')
    expect(showErrorMock).toHaveBeenCalledTimes(1)
  })
})
