// The contract between a list screen and ListPage.
export interface Column {
  prop: string
  label: string
  width?: number | string
  /** hidden until the clerk shows it in 列设置 */
  hidden?: boolean
}

export interface PageAnswer<Row> {
  rows: Row[]
  total: number
  /** the API's total_display: "10,000+" when more rows match than it counted */
  totalText?: string
}

/** What the toolbar's batch actions act on: the ticked rows, or every row matching the filter. */
export interface Selection<Row> {
  rows: Row[]
  allMatching: boolean
  count: number
}

export type Filters = Record<string, string>

/** Query values kept in the URL: empty ones are left out. */
export function cleanFilters(filters: Filters): Filters {
  return Object.fromEntries(Object.entries(filters).filter(([, v]) => v !== '' && v != null))
}

/** An answer of the typed client for a file fetched with `parseAs: 'blob'`. */
export interface FileAnswer {
  data?: unknown
  error?: unknown
  response: Response
}

/**
 * 导出: fetches the xlsx of the ticked rows, or of every row matching the filters when
 * nothing is ticked or "all N matching" is chosen (`rows` is then null). The API masks the
 * personal numbers, caps the rows and records the export in 操作日志.
 */
export type Exporter<Row> = (filters: Filters, rows: Row[] | null) => Promise<FileAnswer>
