// 适老化: large font and high contrast, kept on this phone, applied as classes on <html>.
import { reactive, watch } from 'vue'

const KEY = 'unioncard.hall.display'

function load(): { large: boolean; contrast: boolean } {
  try {
    const saved = JSON.parse(localStorage.getItem(KEY) || '{}')
    return { large: saved.large === true, contrast: saved.contrast === true }
  } catch {
    return { large: false, contrast: false }
  }
}

export const display = reactive(load())

function apply() {
  document.documentElement.classList.toggle('hall-large', display.large)
  document.documentElement.classList.toggle('hall-contrast', display.contrast)
  localStorage.setItem(KEY, JSON.stringify(display))
}

watch(display, apply)
apply()
