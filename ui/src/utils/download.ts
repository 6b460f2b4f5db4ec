// File downloads fetched by the API client (so that a step-up QY-AUTH-0011 is asked for and the request
// retried like any other call), then handed to the browser as a blob.

/**
 * The file name of a `Content-Disposition` header: RFC 6266 `filename*=UTF-8''…` (percent-encoded) wins
 * over `filename="…"` / `filename=…`; any path is stripped. `fallback` when there is none.
 */
export function filenameFromDisposition(header: string | null | undefined, fallback: string): string {
  if (!header) return fallback
  let name: string | null = null
  const extended = /filename\*\s*=\s*([^']*)'[^']*'([^;]+)/i.exec(header)
  if (extended?.[2]) {
    try {
      name = decodeURIComponent(extended[2].trim().replace(/^"|"$/g, ''))
    } catch {
      name = null
    }
  }
  if (!name) {
    const quoted = /filename\s*=\s*"((?:[^"\\]|\\.)*)"/i.exec(header)
    const bare = /filename\s*=\s*([^;"\s]+)/i.exec(header)
    name = quoted?.[1] !== undefined ? quoted[1].replace(/\\(.)/g, '$1') : (bare?.[1] ?? null)
  }
  const base = name?.split(/[/\\]/).pop()?.trim()
  return base ? base : fallback
}

/** A downloaded file: its bytes and the name the server gave it. */
export interface DownloadedFile {
  blob: Blob
  filename: string
}

/** Lets the browser save `file` under its name (an `<a download>` on an object URL). */
export function saveFile(file: DownloadedFile): void {
  const url = URL.createObjectURL(file.blob)
  const link = document.createElement('a')
  link.href = url
  link.download = file.filename
  link.rel = 'noopener'
  link.style.display = 'none'
  document.body.appendChild(link)
  link.click()
  link.remove()
  // Late enough for the browser to have started the download.
  setTimeout(() => URL.revokeObjectURL(url), 30_000)
}
