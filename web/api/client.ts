// The one API client of the front ends: openapi-fetch typed by the generated schema.
import createClient, { type Middleware } from 'openapi-fetch'
import type { paths, components } from './schema'

export type Schemas = components['schemas']
export type { paths }

/** A token kept in this tab's sessionStorage under the app's own key (console, hall). */
export interface TokenStore {
  token: string | null
}

export function tokenStore(key: string): TokenStore {
  return {
    get token(): string | null {
      return sessionStorage.getItem(key)
    },
    set token(value: string | null) {
      if (value) sessionStorage.setItem(key, value)
      else sessionStorage.removeItem(key)
    },
  }
}

/** An API client sending the store's token; ``onUnauthenticated`` runs when the API answers
 * 401 on an authenticated call (expired or revoked token). One per app. */
export function createApi(store: TokenStore) {
  let onUnauthenticated: () => void = () => {}
  const auth: Middleware = {
    onRequest({ request }) {
      const token = store.token
      if (token) request.headers.set('Authorization', `Bearer ${token}`)
      return request
    },
    onResponse({ request, response }) {
      if (response.status === 401 && request.headers.has('Authorization')) onUnauthenticated()
      return response
    },
  }
  const client = createClient<paths>({ baseUrl: '' })
  client.use(auth)
  return {
    client,
    setUnauthenticatedHandler(handler: () => void) {
      onUnauthenticated = handler
    },
  }
}

/**
 * Keyset paging for the lists of one client. When the clerk moves from page N of a list to
 * page N + 1 with the same filters and page size, the request carries the ``next_cursor`` of
 * page N's answer (X-Pagination): the API then reads on after page N's last row instead of
 * skipping N pages of rows (OFFSET), so the next page of a city's members is as quick on page
 * 5,000 as on page 2, and shows the same rows. Any other move (a page number further on, back,
 * new filters) asks by page number as before. Should the API refuse the cursor (422), the same
 * page is asked again by its number.
 */
export function keysetPaging(): Middleware {
  const last = new Map<string, { page: number; cursor: string }>()
  const sent = new WeakMap<Request, Request>() // the cursor request -> the one it replaced
  const listOf = (url: URL): [string, number] => {
    const query = new URLSearchParams(url.search)
    const page = Number(query.get('page') ?? '1') || 1
    query.delete('page')
    query.delete('cursor')
    query.sort()
    return [`${url.pathname}?${query}`, page]
  }
  return {
    onRequest({ request }) {
      if (request.method !== 'GET') return request
      const url = new URL(request.url)
      if (url.searchParams.has('cursor')) return request
      const [list, page] = listOf(url)
      const before = last.get(list)
      if (!before || page !== before.page + 1) return request
      url.searchParams.set('cursor', before.cursor)
      const withCursor = new Request(url, request)
      sent.set(withCursor, request)
      return withCursor
    },
    async onResponse({ request, response }) {
      if (request.method !== 'GET') return response
      const [list, page] = listOf(new URL(request.url))
      const replaced = sent.get(request)
      if (replaced && response.status === 422) {
        last.delete(list)
        return fetch(replaced) // the same page by its number
      }
      let cursor = ''
      try {
        cursor = response.ok ? String(JSON.parse(response.headers.get('X-Pagination') ?? '{}').next_cursor ?? '') : ''
      } catch {
        cursor = ''
      }
      if (cursor) {
        if (last.size >= 50 && !last.has(list)) last.clear()
        last.set(list, { page, cursor })
      } else last.delete(list)
      return response
    },
  }
}

// the staff console's token and client
export const session = tokenStore('unioncard.console.token')
const consoleApi = createApi(session)
consoleApi.client.use(keysetPaging())
export const api = consoleApi.client
export const setUnauthenticatedHandler = consoleApi.setUnauthenticatedHandler

/** The API's error shape: {code, status, message, errors}. */
export interface ApiError {
  code?: number
  status?: string
  message?: string
  errors?: Record<string, unknown>
  [key: string]: unknown
}

/** The Chinese message of an error answer, with field errors when there are any. */
export function errorText(error: unknown): string {
  const e = (error ?? {}) as ApiError
  const parts: string[] = [e.message || '操作失败，请稍后再试']
  const flat = (value: unknown, prefix = ''): void => {
    if (Array.isArray(value)) parts.push(`${prefix}${value.join('；')}`)
    else if (value && typeof value === 'object')
      for (const [k, v] of Object.entries(value)) flat(v, k === 'json' || k === 'query' || k === 'form' ? '' : `${k}：`)
  }
  flat(e.errors)
  return parts.join(' ')
}

/** The total as the API words it ("1,234", or "10,000+" when it stopped counting). */
export function totalTextOf(response: Response): string {
  try {
    return String(JSON.parse(response.headers.get('X-Pagination') ?? '{}').total_display ?? '')
  } catch {
    return ''
  }
}

/** flask-smorest answers the list totals in the X-Pagination header. */
export function totalOf(response: Response): number {
  const header = response.headers.get('X-Pagination')
  if (!header) return 0
  try {
    return Number(JSON.parse(header).total) || 0
  } catch {
    return 0
  }
}
