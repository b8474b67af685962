// A short confirmation shown at the top of the next page (role=status: read out, no popup).
import { ref } from 'vue'

export const notice = ref('')
let timer: number | undefined

export function tell(text: string) {
  notice.value = text
  window.clearTimeout(timer)
  timer = window.setTimeout(() => (notice.value = ''), 5000)
}
