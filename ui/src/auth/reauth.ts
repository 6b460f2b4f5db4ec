// The re-authentication gate (SEC-2): however many calls answer QY-AUTH-0004 (idle) or QY-AUTH-0011
// (step-up before a critical operation) together, one dialog asks for the password; every waiting call
// resumes when it is settled.
import { reactive, readonly } from 'vue'
import type { ReauthReason } from '@/api/client'

export interface ReauthGate {
  /**
   * `open` is true while the dialog should show; `reason` says why (its wording): 'idle' as soon as any
   * waiting call went idle — that concerns the whole session — else 'step-up'.
   */
  readonly state: { readonly open: boolean; readonly reason: ReauthReason }
  /**
   * Resolves true once the password has been confirmed, false when the user gave up. A call sent
   * before the latest confirmation (`sentAt` ≤ it) resolves true at once: it only raced the dialog.
   */
  request: (sentAt?: number, reason?: ReauthReason) => Promise<boolean>
  /** The server took the password: release every waiting call for its retry. */
  confirm: () => void
  /** Signed out or locked: release the waiting calls with their original error. */
  abandon: () => void
}

export function createReauthGate(now: () => number = Date.now): ReauthGate {
  const state = reactive<{ open: boolean; reason: ReauthReason }>({ open: false, reason: 'idle' })
  let waiting: Promise<boolean> | null = null
  let settle: ((ok: boolean) => void) | null = null
  let confirmedAt = Number.NEGATIVE_INFINITY

  function request(sentAt?: number, reason: ReauthReason = 'idle'): Promise<boolean> {
    if (!waiting && sentAt !== undefined && sentAt <= confirmedAt) return Promise.resolve(true)
    if (!waiting) {
      waiting = new Promise<boolean>((resolve) => {
        settle = resolve
      })
      state.reason = reason
      state.open = true
    } else if (reason === 'idle') {
      state.reason = 'idle'
    }
    return waiting
  }

  function finish(ok: boolean): void {
    const done = settle
    waiting = null
    settle = null
    state.open = false
    if (ok) confirmedAt = now()
    done?.(ok)
  }

  return {
    state: readonly(state),
    request,
    confirm: () => finish(true),
    abandon: () => finish(false),
  }
}

/** The application's one gate, wired to the API client in main.ts and shown by ReauthDialog.vue. */
export const reauthGate = createReauthGate()
