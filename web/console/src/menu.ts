// The left menu, named as in the seeds. The groups and their order live here; each screen
// group adds its entries from its own file in ./features/ (routes and menu together), so
// a new screen is one new file. An entry shows when the account's role has the permission
// (answered by /auth/me) and its org level fits.
import type { Me } from './session'
import { FEATURES } from './features'

export interface MenuItem {
  title: string
  path?: string
  permission?: string
  /** org levels that see the entry; every level when absent */
  levels?: string[]
  /** account roles that see the entry; every role when absent */
  roles?: string[]
  children?: MenuItem[]
}

/** An entry contributed by a feature file: its group (a title below) and its place in it. */
export interface MenuEntry extends MenuItem {
  group?: string
  order: number
}

const ABOVE_GRASSROOTS = ['市总工会', '区局(产业)工会', '二级工会']

/** The menu's top level in the seeds' order; a group with no visible entry is hidden. */
const GROUPS: (MenuItem & { order: number })[] = [
  { title: '首页', path: '/', order: 0 },
  { title: '会员管理', order: 10, children: [] },
  { title: '会员服务卡管理', order: 20, children: [] },
  { title: '会员专享保障', order: 30, children: [] },
  { title: '年审管理', order: 40, children: [] },
  { title: '组织管理', path: '/orgs', permission: 'org.write', order: 50 },
  { title: '账号管理', path: '/accounts', permission: 'account.manage', order: 60 },
  { title: '操作日志', path: '/audit', permission: 'audit.read', order: 70 },
]

const CORE: MenuEntry[] = [
  { group: '会员管理', order: 10, title: '会员信息', path: '/members', permission: 'member.read' },
  { group: '会员管理', order: 20, title: '会员导入', path: '/imports', permission: 'member.import', levels: ['基层工会'] },
  { group: '会员服务卡管理', order: 10, title: '卡片信息管理', path: '/cards', permission: 'member.write', levels: ['基层工会'] },
  { group: '会员服务卡管理', order: 20, title: '待办会员列表', path: '/pending', permission: 'member.write', levels: ['基层工会'] },
  { group: '会员服务卡管理', order: 30, title: '办卡批次管理', path: '/batches', permission: 'member.write', levels: ['基层工会'] },
]

/** The whole menu before filtering: groups with their entries sorted by order. */
export function fullMenu(entries: MenuEntry[] = [...CORE, ...FEATURES.flatMap((f) => f.menu ?? [])]): MenuItem[] {
  const sorted = [...entries].sort((a, b) => a.order - b.order)
  const top: (MenuItem & { order: number })[] = GROUPS.map((g) => ({
    ...g,
    children: g.children ? sorted.filter((e) => e.group === g.title).map(({ group: _g, order: _o, ...item }) => item) : undefined,
  }))
  for (const e of sorted.filter((e) => !e.group)) {
    const { group: _g, ...item } = e
    top.push(item)
  }
  return top.sort((a, b) => a.order - b.order).map(({ order: _o, ...item }) => item)
}

export { ABOVE_GRASSROOTS }

export function menuFor(me: Me | null): MenuItem[] {
  if (!me) return []
  const level = me.org?.level ?? ''
  const visible = (item: MenuItem) =>
    (!item.permission || !!me.permissions?.includes(item.permission)) &&
    (!item.levels || item.levels.includes(level)) &&
    (!item.roles || item.roles.includes(me.role ?? ''))
  const walk = (items: MenuItem[]): MenuItem[] =>
    items.flatMap((item) => {
      if (!visible(item)) return []
      if (!item.children) return [item]
      const children = walk(item.children)
      return children.length ? [{ ...item, children }] : []
    })
  return walk(fullMenu())
}
