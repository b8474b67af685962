// Shared by the grassroots union's insurance screens: the union of the signed-in clerk, the
// coverage year the API answers by default (the year of the collective campaign), the plans
// with this union's split, and files handed to the browser.
import { ElMessage } from 'element-plus'
import { api, errorText, type Schemas } from '@api/client'
import { state } from '../../session'

export type Stats = Schemas['StatsOut']
export type PlanRow = Schemas['PlanWithSplitOut']
export type MemberRow = Schemas['MemberRowOut']
export type Submission = Schemas['UnitSubmissionOut']

/** The clerk's own union: every union screen acts on it (the API checks the scope). */
export function unionId(): number {
  return state.me?.org_id ?? 0
}

/** 统计行 and the coverage year: without ?year the API answers the next collective year. */
export async function loadStats(year?: number): Promise<Stats> {
  const { data, error } = await api.GET('/api/admin/v1/insurance/unions/{org_id}/collective/stats', {
    params: { path: { org_id: unionId() }, query: year ? { year } : {} },
  })
  if (!data) throw new Error(errorText(error))
  return data
}

/** The year's active plans with the shares that apply to this union. */
export async function loadPlans(year: number): Promise<PlanRow[]> {
  const { data, error } = await api.GET('/api/admin/v1/insurance/plans', { params: { query: { year } } })
  if (!data) throw new Error(errorText(error))
  return data.filter((p) => p.plan?.active !== false)
}

/** Hand a blob to the browser as a file named ``name``. */
export function saveBlob(data: Blob, name: string) {
  const url = URL.createObjectURL(data)
  const link = document.createElement('a')
  link.href = url
  link.download = name
  document.body.appendChild(link)
  link.click()
  link.remove()
  setTimeout(() => URL.revokeObjectURL(url), 60_000)
}

/** Download a notice (告知书) PDF; false when the API refused (its message is shown). */
export async function downloadNotice(noticeId: number, name: string): Promise<boolean> {
  const { data, error } = await api.GET('/api/admin/v1/insurance/notices/{notice_id}/pdf', {
    params: { path: { notice_id: noticeId } },
    parseAs: 'blob',
  })
  if (!data) {
    ElMessage.error(errorText(error))
    return false
  }
  saveBlob(data as Blob, name)
  return true
}

/** 重新下载集中参保告知书: the union's latest notice of the year (it is reissued on every submit). */
export async function downloadLatestNotice(year: number): Promise<void> {
  const { data, error } = await api.GET('/api/admin/v1/insurance/notices', {
    params: { query: { org_id: unionId(), year, kind: '基层单位告知书', page_size: 1 } as never },
  })
  if (!data) return void ElMessage.error(errorText(error))
  const latest = data[0]
  if (!latest?.id) return void ElMessage.warning(`本单位${year}年度尚未提交集中参保，暂无告知书`)
  await downloadNotice(latest.id, `集中参保告知书-${year}年度.pdf`)
}

export const when = (value?: string | null) => (value ? value.slice(0, 16).replace('T', ' ') : '-')
