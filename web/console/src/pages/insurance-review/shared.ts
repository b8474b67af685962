// What the insurance review screens share: the year's campaign with its windows (as the API
// answers them), a file download with the clerk's token, and how times and amounts are shown.
import { ElMessage } from 'element-plus'
import { api, errorText, totalOf, type Schemas } from '@api/client'
import type { Filters } from '../../components/listing'
import { saveBlob } from '../../components/download'

export type Campaign = Schemas['CampaignOut']
export type Batch = Schemas['InsBatchOut']

export { when } from '../../components/format'
export const cnDate = (value?: string | null) => {
  if (!value) return '-'
  const [y, m, d] = value.split('-').map(Number)
  return `${y}年${m}月${d}日`
}

/** The newest campaign (the one being run), or null when 职保中心 has opened none. */
export async function currentCampaign(): Promise<Campaign | null> {
  const { data, error } = await api.GET('/api/admin/v1/insurance/campaigns', { params: { query: {} } })
  if (!data) throw new Error(errorText(error))
  return data[0] ?? null
}

/** A file answer of the API saved by the browser under ``name``. */
export async function download(path: string, name: string): Promise<boolean> {
  // the paths are typed one by one where the call is made; this helper only moves bytes
  const { data, error } = await (api.GET as unknown as (p: string, o: object) => Promise<{ data?: Blob; error?: unknown }>)(path, { parseAs: 'blob' })
  if (!data) {
    ElMessage.error(errorText(error))
    return false
  }
  saveBlob(data, null, name)
  return true
}

export const noticeName = (b: Batch) => `集中参保告知书-${b.batch_no}.pdf`
export const statisticsName = (b: Batch) => `集中参保统计表-${b.batch_no}.xlsx`

type BatchQuery = NonNullable<import('@api/client').paths['/api/admin/v1/insurance/batches']['get']['parameters']['query']>

/** One page of the insurance batches in the clerk's scope (ListPage's ``load``). */
export async function loadBatches(f: Filters, page: number, pageSize: number) {
  const { data, error, response } = await api.GET('/api/admin/v1/insurance/batches', {
    params: { query: { ...(f as unknown as BatchQuery), page, page_size: pageSize } },
  })
  if (!data) throw new Error(errorText(error))
  return { rows: data, total: totalOf(response) }
}
