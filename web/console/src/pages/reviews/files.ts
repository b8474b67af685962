// Files of the review screens: the API wants the token, so a download is fetched and handed to
// the browser as a blob, under the name the server gives in Content-Disposition.
export function saveBlob(blob: Blob, response: Response, fallback: string) {
  const header = response.headers.get('Content-Disposition') ?? ''
  const match = /filename\*=UTF-8''([^;]+)/i.exec(header)
  const link = document.createElement('a')
  link.href = URL.createObjectURL(blob)
  link.download = match ? decodeURIComponent(match[1]) : fallback
  document.body.appendChild(link)
  link.click()
  link.remove()
  setTimeout(() => URL.revokeObjectURL(link.href), 10_000)
}

/** The server's year in Asia/Shanghai, from an answer's Date header (the review year is the
 * server's, not the browser's). */
export function serverYear(response: Response): number {
  const date = new Date(response.headers.get('Date') ?? Date.now())
  return Number(new Intl.DateTimeFormat('en', { timeZone: 'Asia/Shanghai', year: 'numeric' }).format(date))
}

const SHANGHAI = new Intl.DateTimeFormat('en-CA', {
  timeZone: 'Asia/Shanghai',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
})

/** An instant of the API (ISO 8601 with its offset) as Shanghai's "YYYY-MM-DD HH:mm". */
export function when(value?: string | null): string {
  if (!value) return '-'
  const parts = Object.fromEntries(SHANGHAI.formatToParts(new Date(value)).map((p) => [p.type, p.value]))
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}`
}
