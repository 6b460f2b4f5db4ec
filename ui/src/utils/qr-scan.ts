// 扫码 with the till's webcam: a video frame's pixels → the QR payload (jsQR, a dependency-free decoder that
// takes raw RGBA, so the page needs only getUserMedia and a canvas), the payload → what goes into the code
// field (as a scanner gun would type it), and a camera failure → which message the cashier sees.
import jsQR from 'jsqr'

/** The longest payload the code field takes (the server's limit too). */
export const MAX_PAYLOAD = 64

/** The text of the QR code in an RGBA frame, or null when there is none (or it is not readable yet). */
export function decodeFrame(rgba: Uint8ClampedArray, width: number, height: number): string | null {
  // A phone screen shows dark on light: skipping the inverted pass halves the work per frame.
  const found = jsQR(rgba, width, height, { inversionAttempts: 'dontInvert' })
  return found && found.data ? found.data : null
}

/**
 * What a scan puts into the code field: the payload as a scanner gun would type it (`quanyi:coupon:…` or a
 * bare code; the page reads both), trimmed of the line end some encoders add. Null for an empty or
 * over-long payload, which is no coupon and is ignored while the camera looks on.
 */
export function payloadFromScan(text: string | null | undefined): string | null {
  const payload = (text ?? '').trim()
  if (payload === '' || payload.length > MAX_PAYLOAD) return null
  return payload
}

export type CameraProblem = 'unsupported' | 'none' | 'denied' | 'busy' | 'failed'

/** The reason the camera could not start, from getUserMedia's error (a DOMException by name). */
export function cameraProblem(error: unknown): CameraProblem {
  const name = error instanceof Error || (typeof error === 'object' && error !== null && 'name' in error) ? String((error as { name: unknown }).name) : ''
  switch (name) {
    case 'NotFoundError':
    case 'DevicesNotFoundError':
    case 'OverconstrainedError':
      return 'none'
    case 'NotAllowedError':
    case 'PermissionDeniedError':
    case 'SecurityError':
      return 'denied'
    case 'NotReadableError':
    case 'TrackStartError':
    case 'AbortError':
      return 'busy'
    default:
      return 'failed'
  }
}

/** Whether this page can ask for a camera at all (a secure context with mediaDevices). */
export function cameraSupported(nav: Navigator | undefined = globalThis.navigator): boolean {
  return !!nav?.mediaDevices && typeof nav.mediaDevices.getUserMedia === 'function'
}
