import { afterEach, describe, expect, it, vi } from 'vitest'
import { filenameFromDisposition, saveFile } from '@/utils/download'

describe('filenameFromDisposition', () => {
  it('reads the quoted file name the server sends', () => {
    expect(filenameFromDisposition('attachment; filename="login-log-20261126053303.csv"', 'x.csv')).toBe('login-log-20261126053303.csv')
  })

  it('reads an unquoted name, any case and spacing', () => {
    expect(filenameFromDisposition('attachment;filename=audit-log-1.csv', 'x.csv')).toBe('audit-log-1.csv')
    expect(filenameFromDisposition('Attachment; FileName = "a b.csv"; size=10', 'x.csv')).toBe('a b.csv')
  })

  it('prefers the RFC 6266 UTF-8 name and decodes it', () => {
    const header = `attachment; filename="login-log.csv"; filename*=UTF-8''%E7%99%BB%E5%BD%95%E6%97%A5%E5%BF%97.csv`
    expect(filenameFromDisposition(header, 'x.csv')).toBe('登录日志.csv')
  })

  it('unescapes quoted characters and keeps only the last path segment', () => {
    expect(filenameFromDisposition('attachment; filename="say \\"hi\\".csv"', 'x.csv')).toBe('say "hi".csv')
    expect(filenameFromDisposition('attachment; filename="../../etc/passwd"', 'x.csv')).toBe('passwd')
    expect(filenameFromDisposition('attachment; filename="C:\\\\temp\\\\a.csv"', 'x.csv')).toBe('a.csv')
  })

  it('falls back when there is no header, no name or a broken encoding', () => {
    expect(filenameFromDisposition(null, 'login-log.csv')).toBe('login-log.csv')
    expect(filenameFromDisposition('', 'login-log.csv')).toBe('login-log.csv')
    expect(filenameFromDisposition('attachment', 'login-log.csv')).toBe('login-log.csv')
    expect(filenameFromDisposition('attachment; filename=""', 'login-log.csv')).toBe('login-log.csv')
    expect(filenameFromDisposition(`attachment; filename*=UTF-8''%E7%99`, 'login-log.csv')).toBe('login-log.csv')
    expect(filenameFromDisposition(`attachment; filename*=UTF-8''%E7%99; filename="b.csv"`, 'login-log.csv')).toBe('b.csv')
  })
})

describe('saveFile', () => {
  afterEach(() => vi.restoreAllMocks())

  it('clicks a hidden download link on an object URL with the file name, then removes it', () => {
    const created = vi.fn(() => 'blob:quanyi/1')
    Object.assign(URL, { createObjectURL: created, revokeObjectURL: vi.fn() })
    const clicks: HTMLAnchorElement[] = []
    vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
      clicks.push(this)
    })
    const blob = new Blob(['id\n'], { type: 'text/csv' })
    saveFile({ blob, filename: 'login-log-1.csv' })
    expect(created).toHaveBeenCalledWith(blob)
    expect(clicks).toHaveLength(1)
    expect(clicks[0]?.download).toBe('login-log-1.csv')
    expect(clicks[0]?.href).toBe('blob:quanyi/1')
    expect(document.querySelector('a[download]')).toBeNull()
  })
})
