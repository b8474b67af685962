// The API wants the token, so a file is fetched and handed to the browser as a blob.

/** Save a fetched file under the name the API gave (Content-Disposition), else `fallback`. */
export function saveBlob(blob: Blob, response: Response, fallback: string) {
  const header = response.headers.get('Content-Disposition') ?? ''
  const match = /filename\*=UTF-8''([^;]+)/i.exec(header)
  const name = match ? decodeURIComponent(match[1]) : fallback
  const url = URL.createObjectURL(blob)
  const link = document.createElement('a')
  link.href = url
  link.download = name
  document.body.appendChild(link)
  link.click()
  link.remove()
  setTimeout(() => URL.revokeObjectURL(url), 10_000)
}
