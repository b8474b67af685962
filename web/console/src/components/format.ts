// How the console shows instants: the API answers them in UTC with their offset; a clerk reads
// them in Shanghai time (北京时间) whatever the PC's own zone is.
const PARTS = (seconds: boolean) =>
  new Intl.DateTimeFormat('zh-CN', {
    timeZone: 'Asia/Shanghai',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    ...(seconds ? { second: '2-digit' as const } : {}),
    hourCycle: 'h23',
  })
const MINUTES = PARTS(false)
const SECONDS = PARTS(true)

/** "2026-12-01 14:05" (or with seconds) in Shanghai time; "-" for no value. */
export function when(value?: string | null, withSeconds = false): string {
  if (!value) return '-'
  const p = Object.fromEntries((withSeconds ? SECONDS : MINUTES).formatToParts(new Date(value)).map((x) => [x.type, x.value]))
  const time = `${p.hour}:${p.minute}${withSeconds ? `:${p.second}` : ''}`
  return `${p.year}-${p.month}-${p.day} ${time}`
}

/** The same with seconds (操作日志, 导入记录). */
export const whenExact = (value?: string | null) => when(value, true)
