// Times as Shanghai clocks show them, whatever the phone's own zone.
export function when(at?: string | null): string {
  return at ? new Date(at).toLocaleString('zh-CN', { hour12: false, timeZone: 'Asia/Shanghai' }) : ''
}
