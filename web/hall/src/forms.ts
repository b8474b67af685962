// The one way a hall page sends something: field errors under the inputs, the API's message
// on top, the button busy meanwhile; and the one confirmation before an irreversible step.
import { ref } from 'vue'
import { showConfirmDialog } from 'vant'
import { fieldErrors, messageOf } from './api'

export function useSubmit() {
  const errors = ref<Record<string, string>>({})
  const alert = ref('')
  const busy = ref(false)

  async function submit<T>(call: () => Promise<{ data?: T; error?: unknown }>): Promise<{ ok: boolean; data?: T }> {
    errors.value = {}
    alert.value = ''
    busy.value = true
    try {
      const { data, error } = await call()
      if (error) {
        errors.value = fieldErrors(error)
        alert.value = messageOf(error)
        return { ok: false }
      }
      return { ok: true, data }
    } finally {
      busy.value = false
    }
  }

  return { errors, alert, busy, submit }
}

export async function confirmed(title: string, message: string, yes: string, no: string): Promise<boolean> {
  try {
    await showConfirmDialog({ title, message, confirmButtonText: yes, cancelButtonText: no })
    return true
  } catch {
    return false
  }
}
