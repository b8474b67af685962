// The signed-in staff account, loaded once from /auth/me.
import { reactive } from 'vue'
import { api, session, type Schemas } from '@api/client'

export type Me = Schemas['MeOut']

export const state = reactive<{ me: Me | null }>({ me: null })

export async function loadMe(): Promise<Me | null> {
  if (!session.token) return null
  if (state.me) return state.me
  const { data } = await api.GET('/api/admin/v1/auth/me')
  state.me = data ?? null
  return state.me
}

export function can(permission: string): boolean {
  return !!state.me?.permissions?.includes(permission)
}

export function signedOut() {
  session.token = null
  state.me = null
}

const LARGE_KEY = 'unioncard.console.large'
export function setLargeFont(on: boolean) {
  document.documentElement.classList.toggle('uc-large', on)
  localStorage.setItem(LARGE_KEY, on ? '1' : '')
}
export function largeFont(): boolean {
  return !!localStorage.getItem(LARGE_KEY)
}
