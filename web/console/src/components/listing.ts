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
