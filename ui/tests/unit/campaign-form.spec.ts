import { describe, expect, it } from 'vitest'
import type { CustomerReport } from '@/api/types'
import {
  emptyRule,
  customerFileType,
  isCustomerFile,
  XLSX_TYPE,
  needsCustomers,
  refusedLines,
  reportFigures,
  reportTruncated,
  reportVerdict,
  ruleBudgetFen,
  ruleFieldErrors,
  toRuleRows,
  toRules,
  totalBudgetFen,
} from '@/utils/campaign-form'
import { rowFieldErrors } from '@/utils/field-errors'
import { emptyLevel, levelErrors, moveLevel, orgRuleName, roleName } from '@/utils/policy-levels'

describe('benefit rules: yuan in the form, fen on the wire', () => {
  it('sends typed yuan as integer fen, without float error, and drops an empty coupon', () => {
    expect(toRules([{ name: ' 满100减20 ', budget: '19.99', template: '' }, { name: 'B', budget: '1,000', template: ' DEMO-MJ20 ' }])).toEqual([
      { name: '满100减20', budget_fen: 1999 },
      { name: 'B', budget_fen: 100000, template_code: 'DEMO-MJ20' },
    ])
  })

  it('shows fen as plain yuan with two decimals for editing', () => {
    expect(toRuleRows([{ name: 'A', budget_fen: 500050, template_code: null }])).toEqual([{ name: 'A', budget: '5000.50', template: '' }])
  })

  it('takes only positive amounts of at most two decimals as a budget', () => {
    expect(ruleBudgetFen('12.5')).toBe(1250)
    expect(ruleBudgetFen('0')).toBeNull()
    expect(ruleBudgetFen('1.234')).toBeNull()
    expect(ruleBudgetFen('-5')).toBeNull()
    expect(ruleBudgetFen('')).toBeNull()
  })

  it('sums the budgets that are amounts', () => {
    expect(totalBudgetFen([{ ...emptyRule(), budget: '0.10' }, { ...emptyRule(), budget: '0.20' }, { ...emptyRule(), budget: 'x' }])).toBe(30)
  })

  it('places the server\'s rule errors under their row and cell', () => {
    const errors = ruleFieldErrors([
      { field: 'rules[1].budget_fen', message: '预算须大于 0' },
      { field: 'rules[1].budget_fen', message: 'second message' },
      { field: 'rules[0].template_code', message: '没有这个券' },
      { field: 'name', message: 'not a rule' },
    ])
    expect([...errors]).toEqual([
      [1, { budget: '预算须大于 0' }],
      [0, { template: '没有这个券' }],
    ])
  })

  it('reads row errors of any list', () => {
    expect([...rowFieldErrors([{ field: 'levels[2].sla_minutes', message: 'too long' }, { field: 'levelsx[0].a', message: 'no' }], 'levels')]).toEqual([[2, { sla_minutes: 'too long' }]])
  })
})

describe('customer list report', () => {
  const report = (r: Partial<CustomerReport>): CustomerReport => ({ total_rows: 0, accepted: 0, duplicates: 0, invalid: 0, errors: [], ...r })

  it('says all were imported when nothing was left out', () => {
    expect(reportVerdict(report({ total_rows: 3, accepted: 3 }))).toEqual({ type: 'success', key: 'campaign.upload.allGood', named: { n: 3 } })
  })

  it('counts duplicates and invalid lines as left out', () => {
    expect(reportVerdict(report({ total_rows: 5, accepted: 3, duplicates: 1, invalid: 1 }))).toEqual({
      type: 'warning',
      key: 'campaign.upload.partial',
      named: { accepted: 3, skipped: 2 },
    })
  })

  it('is an error when nobody was imported', () => {
    expect(reportVerdict(report({ total_rows: 2, invalid: 2 })).type).toBe('error')
  })

  it('colours the figures that need attention', () => {
    expect(reportFigures(report({ total_rows: 5, accepted: 3, duplicates: 1, invalid: 0 })).map((f) => [f.key, f.value, f.tone])).toEqual([
      ['totalRows', 5, 'plain'],
      ['accepted', 3, 'success'],
      ['duplicates', 1, 'warning'],
      ['invalid', 0, 'plain'],
    ])
  })

  it('knows when the error list is only the first part', () => {
    const err = { line: 2, value: 'x', content: '2,x', code: 'QY-CAMP-0101', message: 'bad' }
    expect(reportTruncated(report({ invalid: 150, errors: Array(100).fill(err) }))).toBe(true)
    expect(reportTruncated(report({ invalid: 1, errors: [err] }))).toBe(false)
  })

  it('takes .csv, .txt and .xlsx files whatever the case, and sends each as what it is', () => {
    expect(isCustomerFile({ name: 'list.CSV' })).toBe(true)
    expect(isCustomerFile({ name: 'list', type: 'text/csv' })).toBe(true)
    expect(isCustomerFile({ name: '名单.xlsx', type: '' })).toBe(true)
    expect(isCustomerFile({ name: 'list.txt' })).toBe(true)
    expect(isCustomerFile({ name: 'list.xls', type: 'application/vnd.ms-excel' })).toBe(false)
    expect(isCustomerFile({ name: 'list.pdf' })).toBe(false)
    expect(customerFileType({ name: 'list.XLSX' })).toBe(XLSX_TYPE)
    expect(customerFileType({ name: 'list.csv', type: 'application/vnd.ms-excel' })).toBe('text/csv')
  })

  it('reads the lines a refused upload names, in order, and nothing else', () => {
    const invalid = { code: 'QY-CAMP-0010', message: '客户号须为 6–32 位字母或数字' }
    expect(
      refusedLines([
        { field: 'line 1', ...invalid },
        { field: 'line 12', ...invalid },
        { field: 'rules[0].name', code: 'QY-CAMP-0006', message: 'x' },
      ]),
    ).toEqual([
      { line: 1, ...invalid },
      { line: 12, ...invalid },
    ])
    expect(refusedLines([])).toEqual([])
  })

  it('holds back a draft with an empty list from review, and nothing else', () => {
    expect(needsCustomers({ state: 'Draft', customer_list: { total: 0 } })).toBe(true)
    expect(needsCustomers({ state: 'Draft', customer_list: { total: 20 } })).toBe(false)
    expect(needsCustomers({ state: 'Running', customer_list: { total: 0 } })).toBe(false)
  })
})

describe('approval policy levels', () => {
  it('asks for a name, role and org rule, and a reminder within the time limit', () => {
    expect(levelErrors({ ...emptyLevel(), sla_minutes: 60, remind_before_minutes: 90 })).toEqual({
      name: 'policy.levelNameRequired',
      role: 'policy.roleRequired',
      org_rule: 'policy.orgRuleRequired',
      remind_before_minutes: 'policy.remindOverSla',
    })
    expect(levelErrors({ name: '初审', role: 'first_reviewer', org_rule: 'branch', sla_minutes: 60, remind_before_minutes: 60, escalate: true })).toEqual({})
  })

  it('moves a level up or down, and not past the ends', () => {
    expect(moveLevel(['a', 'b', 'c'], 2, -1)).toEqual(['a', 'c', 'b'])
    expect(moveLevel(['a', 'b', 'c'], 0, 1)).toEqual(['b', 'a', 'c'])
    expect(moveLevel(['a', 'b'], 0, -1)).toEqual(['a', 'b'])
    expect(moveLevel(['a', 'b'], 1, 1)).toEqual(['a', 'b'])
  })

  it('names roles and org rules from the options, or shows the code', () => {
    const options = { roles: [{ code: 'first_reviewer', name: '营销初审' }], org_rules: [{ code: 'branch', label_zh: '所在分行', label_en: 'Branch' }] }
    expect(roleName('first_reviewer', options)).toBe('营销初审')
    expect(roleName('x', options)).toBe('x')
    expect(orgRuleName('branch', options, 'zh-CN')).toBe('所在分行')
    expect(orgRuleName('branch', options, 'en')).toBe('Branch')
    expect(orgRuleName('branch', null, 'en')).toBe('branch')
  })
})
