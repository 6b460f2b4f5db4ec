import { describe, expect, it } from 'vitest'
import type { Org } from '@/api/types'
import { i18n, setLocale } from '@/locales'
import { buildOrgTree, countByLevel, filterOrgTree, flattenOrgTree, orgLevelLabel, type OrgNode } from '@/utils/org-tree'
import { BR01, BR02, HO, SB0101, SB0102, orgList } from './fixtures'

/** `name(child, child(...))` — the shape of a forest in one line. */
function shape(nodes: readonly OrgNode[]): string {
  return nodes.map((n) => (n.children ? `${n.name}(${shape(n.children)})` : n.name)).join(', ')
}

describe('buildOrgTree', () => {
  it('hangs 分行 under 总行 and 支行 under their 分行, keeping the server\'s order', () => {
    const tree = buildOrgTree(orgList)
    expect(shape(tree)).toBe('总行(城东分行(城东分行营业部, 城东新区支行), 城西分行(城西分行营业部))')
    expect(tree[0]?.id).toBe(HO)
    expect(tree[0]?.children?.map((c) => c.id)).toEqual([BR01, BR02])
  })

  it('gives leaves no children array (no expand arrow) and does not change its input', () => {
    const input = structuredClone(orgList)
    const tree = buildOrgTree(input)
    const leaf = flattenOrgTree(tree).find((n) => n.id === SB0102)
    expect(leaf).toBeDefined()
    expect('children' in (leaf as object)).toBe(false)
    expect(input).toEqual(orgList)
  })

  it('does not need parents first', () => {
    expect(shape(buildOrgTree([...orgList].reverse()))).toBe('总行(城西分行(城西分行营业部), 城东分行(城东新区支行, 城东分行营业部))')
  })

  it('makes an org whose parent is outside the caller\'s scope a root (a 分行 user sees their 分行 on top)', () => {
    const branchScope = orgList.filter((o) => [BR01, SB0101, SB0102].includes(o.id))
    expect(shape(buildOrgTree(branchScope))).toBe('城东分行(城东分行营业部, 城东新区支行)')
  })

  it('shows every org once even when parent links loop or an id repeats', () => {
    const looped: Org[] = [
      { id: 'a', parent_id: 'b', code: 'A', name: 'A', level: 2 },
      { id: 'b', parent_id: 'a', code: 'B', name: 'B', level: 2 },
      { id: 'c', parent_id: 'c', code: 'C', name: 'C', level: 3 },
      { id: 'a', parent_id: null, code: 'A2', name: 'A again', level: 2 },
    ]
    const all = flattenOrgTree(buildOrgTree(looped))
    expect(all.map((n) => n.id).sort()).toEqual(['a', 'b', 'c'])
  })

  it('is empty for an empty list', () => {
    expect(buildOrgTree([])).toEqual([])
  })
})

describe('filterOrgTree', () => {
  const tree = buildOrgTree(orgList)

  it('keeps the matches with their ancestors, by name or code, ignoring case', () => {
    expect(shape(filterOrgTree(tree, '新区'))).toBe('总行(城东分行(城东新区支行))')
    expect(shape(filterOrgTree(tree, 'sb0201'))).toBe('总行(城西分行(城西分行营业部))')
  })

  it('keeps the whole subtree of a matching org', () => {
    expect(shape(filterOrgTree(tree, '城东分行'))).toBe('总行(城东分行(城东分行营业部, 城东新区支行))')
  })

  it('returns everything for a blank keyword and nothing for no match', () => {
    expect(filterOrgTree(tree, '  ')).toEqual(tree)
    expect(filterOrgTree(tree, '不存在')).toEqual([])
  })
})

describe('org levels', () => {
  it('names 1/2/3 总行/分行/支行 and counts them', () => {
    setLocale('zh-CN')
    const t = i18n.global.t
    expect([1, 2, 3].map((l) => t(orgLevelLabel(l)!))).toEqual(['总行', '分行', '支行'])
    expect(orgLevelLabel(4)).toBeNull()
    expect(countByLevel(orgList)).toEqual({ head: 1, branch: 2, subBranch: 3 })
  })
})
