// The hall's API client: the shared generated types and openapi-fetch, its own token store
// (a member's token never mixes with a clerk's console token).
import { createApi, errorText, tokenStore, type ApiError } from '@api/client'

export const hallSession = tokenStore('unioncard.hall.token')
const made = createApi(hallSession)
export const api = made.client
export const setUnauthenticatedHandler = made.setUnauthenticatedHandler
export { errorText }

/** The API's field errors, one Chinese line per field, to show under the inputs. */
export function fieldErrors(error: unknown): Record<string, string> {
  const errors = ((error ?? {}) as ApiError).errors ?? {}
  const out: Record<string, string> = {}
  const walk = (value: unknown, key: string) => {
    if (Array.isArray(value)) out[key] = value.map(String).join('；')
    else if (value && typeof value === 'object')
      for (const [k, v] of Object.entries(value)) walk(v, ['json', 'query', 'form'].includes(k) ? key : k)
  }
  walk(errors, '')
  return out
}

/** The answer's message alone (field messages go under their inputs). */
export function messageOf(error: unknown): string {
  return ((error ?? {}) as ApiError).message || '操作失败，请稍后再试'
}

const P = '/api/miniapp/v1'

/** The hall's own calls (contracts.md, "Service hall"): web login and SMS phone binding. */
export const hall = {
  authorizeUrl: (redirect: string) =>
    api.GET(`${P}/auth/oauth/authorize-url`, { params: { query: { redirect, scope: 'snsapi_base' } } }),
  oauth: (code: string, state: string) => api.POST(`${P}/auth/oauth`, { body: { code, state } }),
  sendSms: (mobile: string) => api.POST(`${P}/me/phone/sms`, { body: { mobile } }),
  bindPhone: (mobile: string, sms_code: string) => api.POST(`${P}/me/phone`, { body: { mobile, sms_code } }),
}
