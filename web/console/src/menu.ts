// The left menu, named as in the seeds; each entry shows when the account's role has the
// permission (answered by /auth/me) and its org level fits.
import type { Me } from './session'

export interface MenuItem {
  title: string
  path?: string
  permission?: string
  /** org levels that see the entry; every level when absent */
  levels?: string[]
  children?: MenuItem[]
}

const ABOVE_GRASSROOTS = ['市总工会', '区局(产业)工会', '二级工会']

export const MENU: MenuItem[] = [
  { title: '首页', path: '/' },
  {
    title: '会员管理',
    children: [
      { title: '会员信息', path: '/members', permission: 'member.read' },
      { title: '会员导入', path: '/imports', permission: 'member.import', levels: ['基层工会'] },
    ],
  },
  {
    title: '会员服务卡管理',
    children: [
      { title: '卡片信息管理', path: '/cards', permission: 'member.write', levels: ['基层工会'] },
      { title: '待办会员列表', path: '/pending', permission: 'member.write', levels: ['基层工会'] },
      { title: '办卡批次管理', path: '/batches', permission: 'member.write', levels: ['基层工会'] },
    ],
  },
  { title: '组织管理', path: '/orgs', permission: 'org.write' },
  { title: '账号管理', path: '/accounts', permission: 'account.manage' },
  { title: '操作日志', path: '/audit', permission: 'audit.read' },
  // 会员服务卡管理 → 撤销办卡批次审核 (the union
  // above: levels ABOVE_GRASSROOTS), 组织管理, 账号管理 and 操作日志 join here as their
  // screens are built.
]
export { ABOVE_GRASSROOTS }

export function menuFor(me: Me | null): MenuItem[] {
  if (!me) return []
  const level = me.org?.level ?? ''
  const visible = (item: MenuItem) =>
    (!item.permission || !!me.permissions?.includes(item.permission)) && (!item.levels || item.levels.includes(level))
  const walk = (items: MenuItem[]): MenuItem[] =>
    items.flatMap((item) => {
      if (!visible(item)) return []
      if (!item.children) return [item]
      const children = walk(item.children)
      return children.length ? [{ ...item, children }] : []
    })
  return walk(MENU)
}
