// Shared by the grassroots union's insurance screens: the union of the signed-in clerk, the
// coverage year the API answers by default (the year of the collective campaign), the plans
// with this union's split, and files handed to the browser.
import { ref } from 'vue'
import { ElMessage } from 'element-plus'
import { api, errorText, totalOf, type Schemas } from '@api/client'
import type { Filters, PageAnswer } from '../../components/listing'
import { state } from '../../session'
import { saveBlob } from '../../components/download'

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
  saveBlob(data as Blob, null, name)
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

/** The values the API accepts for 参保类型 and a submission's 状态 (filters of the lists). */
export const KINDS = ['会员卡参保', '社保卡参保', '有卡无保', '新办卡', '个人参保']
export const SUBMISSION_STATUSES = ['区局确认中', '已退回', '待提交职保中心', '职保中心确认中', '已完成', '参保失败', '已拒绝']

/** The statistics line and the coverage year of a union screen, loaded on demand. */
export function useCampaignYear() {
  const stats = ref<Stats | null>(null)
  const year = ref(0)
  const error = ref('')
  async function refresh() {
    try {
      stats.value = await loadStats(year.value || undefined)
      year.value = stats.value.year ?? 0
      error.value = ''
    } catch (e) {
      error.value = e instanceof Error ? e.message : String(e)
    }
  }
  return { stats, year, error, refresh }
}

type ListPath = '/api/admin/v1/insurance/submissions' | '/api/admin/v1/insurance/coverage' | '/api/admin/v1/insurance/payouts'

/** ListPage's loader for one of the scoped insurance lists; ``fixed`` is added to every query. */
export function pageLoader<Row>(path: ListPath, fixed: () => Record<string, unknown> = () => ({})) {
  return async (f: Filters, page: number, pageSize: number): Promise<PageAnswer<Row>> => {
    const { data, error, response } = await api.GET(path, { params: { query: { ...f, ...fixed(), page, page_size: pageSize } as never } })
    if (!data) throw new Error(errorText(error))
    return { rows: data as Row[], total: totalOf(response) }
  }
}

/** An instant of the API (ISO with offset) as Shanghai wall time, ``2026-06-15 10:00``. */
export { when } from '../../components/format'
