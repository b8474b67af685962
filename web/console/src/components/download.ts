// The API wants the token, so a file is fetched and handed to the browser as a blob.

/** Save a fetched file: under the name the API gave (Content-Disposition) when there is a
 * response, else under `name`. */
export function saveBlob(blob: Blob, response: Response | null, name: string) {
  const header = response?.headers.get('Content-Disposition') ?? ''
  const match = /filename\*=UTF-8''([^;]+)/i.exec(header)
  const url = URL.createObjectURL(blob)
  const link = document.createElement('a')
  link.href = url
  link.download = match ? decodeURIComponent(match[1]) : name
  document.body.appendChild(link)
  link.click()
  link.remove()
  setTimeout(() => URL.revokeObjectURL(url), 60_000)
}
