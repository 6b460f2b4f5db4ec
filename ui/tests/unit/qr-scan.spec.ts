import QRCode from 'qrcode'
import { describe, expect, it } from 'vitest'
import { cameraProblem, cameraSupported, decodeFrame, payloadFromScan } from '@/utils/qr-scan'
import { normalizeCouponCode } from '@/utils/redeem-attempt'

/** `text` as a QR code drawn into an RGBA frame, black on white, `scale` pixels a module, with a quiet zone. */
function frameOf(text: string, scale = 4): { data: Uint8ClampedArray; width: number; height: number } {
  const qr = QRCode.create(text, { errorCorrectionLevel: 'M' })
  const size = qr.modules.size
  const quiet = 4
  const width = (size + quiet * 2) * scale
  const data = new Uint8ClampedArray(width * width * 4).fill(255)
  for (let row = 0; row < size; row++) {
    for (let col = 0; col < size; col++) {
      if (!qr.modules.get(row, col)) continue
      for (let y = 0; y < scale; y++) {
        for (let x = 0; x < scale; x++) {
          const at = (((row + quiet) * scale + y) * width + (col + quiet) * scale + x) * 4
          data[at] = data[at + 1] = data[at + 2] = 0
        }
      }
    }
  }
  return { data, width, height: width }
}

describe('decodeFrame → payloadFromScan', () => {
  it('reads a coupon QR code as the scanner gun would type it', () => {
    const { data, width, height } = frameOf('quanyi:coupon:ABCD2345EFGH6789')
    const payload = payloadFromScan(decodeFrame(data, width, height))
    expect(payload).toBe('quanyi:coupon:ABCD2345EFGH6789')
    expect(normalizeCouponCode(payload!)).toBe('ABCD2345EFGH6789')
  })

  it('reads a bare code too', () => {
    const { data, width, height } = frameOf('ABCD2345EFGH6789', 3)
    expect(payloadFromScan(decodeFrame(data, width, height))).toBe('ABCD2345EFGH6789')
  })

  it('finds nothing in a blank frame', () => {
    const blank = new Uint8ClampedArray(200 * 200 * 4).fill(255)
    expect(decodeFrame(blank, 200, 200)).toBeNull()
    expect(payloadFromScan(null)).toBeNull()
  })

  it('ignores an empty or over-long payload and trims a line end', () => {
    expect(payloadFromScan('  \n')).toBeNull()
    expect(payloadFromScan('X'.repeat(65))).toBeNull()
    expect(payloadFromScan('ABCD2345EFGH6789\r\n')).toBe('ABCD2345EFGH6789')
  })
})

describe('cameraProblem', () => {
  const named = (name: string) => Object.assign(new Error(name), { name })

  it('tells no camera, refused permission and a busy camera apart', () => {
    expect(cameraProblem(named('NotFoundError'))).toBe('none')
    expect(cameraProblem(named('OverconstrainedError'))).toBe('none')
    expect(cameraProblem(named('NotAllowedError'))).toBe('denied')
    expect(cameraProblem(named('SecurityError'))).toBe('denied')
    expect(cameraProblem(named('NotReadableError'))).toBe('busy')
    expect(cameraProblem({ name: 'NotAllowedError' })).toBe('denied')
    expect(cameraProblem(named('TypeError'))).toBe('failed')
    expect(cameraProblem('nope')).toBe('failed')
  })

  it('knows a browser without mediaDevices cannot scan', () => {
    expect(cameraSupported({} as Navigator)).toBe(false)
    expect(cameraSupported({ mediaDevices: { getUserMedia: () => Promise.reject(new Error('x')) } } as unknown as Navigator)).toBe(true)
  })
})
