// The campaign form's benefit rules (budget typed in yuan, sent as integer fen), the server's field
// errors of a rule row (`rules[2].budget_fen`) placed under that row's cell, and the customer-list
// upload: which files are taken and how its validation report reads.
import type { FieldError } from '@/api/error'
import type { CampaignRule, CustomerReport } from '@/api/types'
import { rowFieldErrors } from './field-errors'
import { fenToInput, yuanToFen } from './money'

/** A server field error (`{field, message}`, as in ApiError.fields). */
export interface FieldErrorLike {
  field: string
  message: string
}

/** A rule as the form edits it: the budget as typed yuan. */
export interface RuleRow {
  name: string
  budget: string
  template: string
}

export function emptyRule(): RuleRow {
  return { name: '', budget: '', template: '' }
}

export function toRuleRows(rules: readonly CampaignRule[]): RuleRow[] {
  return rules.map((r) => ({ name: r.name, budget: fenToInput(r.budget_fen), template: r.template_code ?? '' }))
}

/** The rows as the request's rules; a budget that is not an amount becomes 0 (the form refuses it first). */
export function toRules(rows: readonly RuleRow[]): CampaignRule[] {
  return rows.map((r) => {
    const rule: CampaignRule = { name: r.name.trim(), budget_fen: yuanToFen(r.budget) ?? 0 }
    if (r.template.trim()) rule.template_code = r.template.trim()
    return rule
  })
}

/** A rule's budget: a positive amount of at most two decimals, in fen; null otherwise. */
export function ruleBudgetFen(budget: string): number | null {
  const fen = yuanToFen(budget)
  return fen !== null && fen > 0 ? fen : null
}

/** The sum of the rows' budgets in fen, counting only those that are amounts. */
export function totalBudgetFen(rows: readonly RuleRow[]): number {
  return rows.reduce((sum, r) => sum + (ruleBudgetFen(r.budget) ?? 0), 0)
}

export interface RuleCellErrors {
  name?: string
  budget?: string
  template?: string
}

/** The server's field errors of rule rows, by row index, under the cell they concern. */
export function ruleFieldErrors(fields: readonly FieldErrorLike[]): Map<number, RuleCellErrors> {
  const out = new Map<number, RuleCellErrors>()
  for (const [index, row] of rowFieldErrors(fields, 'rules')) {
    const cells: RuleCellErrors = {}
    if (row.name) cells.name = row.name
    if (row.budget_fen) cells.budget = row.budget_fen
    if (row.template_code) cells.template = row.template_code
    if (cells.name || cells.budget || cells.template) out.set(index, cells)
  }
  return out
}

/** The upload's limit; the server has its own. */
export const MAX_CSV_MB = 20

/** The workbook type Excel saves `.xlsx` as. */
export const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'

/** A customer list the server reads: CSV or text (any encoding: the server tells it) or an `.xlsx` workbook. */
export function isCustomerFile(file: { name: string; type?: string }): boolean {
  return /\.(csv|txt|xlsx)$/i.test(file.name) || file.type === 'text/csv' || file.type === XLSX_TYPE
}

/** The Content-Type a customer file is sent with: by its name, since browsers label CSV files variously. */
export function customerFileType(file: { name: string; type?: string }): string {
  return /\.xlsx$/i.test(file.name) || file.type === XLSX_TYPE ? XLSX_TYPE : 'text/csv'
}

export type ReportVerdict =
  | { type: 'success'; key: 'campaign.upload.allGood'; named: { n: number } }
  | { type: 'warning'; key: 'campaign.upload.partial'; named: { accepted: number; skipped: number } }
  | { type: 'error'; key: 'campaign.upload.nothing'; named: Record<string, never> }

/** The report's one-line verdict: all imported, some rows left out, or nothing imported. */
export function reportVerdict(report: CustomerReport): ReportVerdict {
  const skipped = report.duplicates + report.invalid
  if (report.accepted === 0) return { type: 'error', key: 'campaign.upload.nothing', named: {} }
  if (skipped === 0) return { type: 'success', key: 'campaign.upload.allGood', named: { n: report.accepted } }
  return { type: 'warning', key: 'campaign.upload.partial', named: { accepted: report.accepted, skipped } }
}

/** The report's four figures in the order they are shown, with the colour of each. */
export function reportFigures(report: CustomerReport): { key: 'totalRows' | 'accepted' | 'duplicates' | 'invalid'; value: number; tone: 'plain' | 'success' | 'warning' | 'danger' }[] {
  return [
    { key: 'totalRows', value: report.total_rows, tone: 'plain' },
    { key: 'accepted', value: report.accepted, tone: 'success' },
    { key: 'duplicates', value: report.duplicates, tone: report.duplicates > 0 ? 'warning' : 'plain' },
    { key: 'invalid', value: report.invalid, tone: report.invalid > 0 ? 'danger' : 'plain' },
  ]
}

/** More rows were refused than the report lists (it lists the first 100). */
export function reportTruncated(report: CustomerReport): boolean {
  return report.errors.length < report.duplicates + report.invalid
}

/** The code of an upload refused because no line held a valid customer number; the list is unchanged. */
export const NOTHING_IMPORTED = 'QY-CAMP-0012'

/** A line the server named when it refused an upload: `fields` as `line <n>` with each line's code. */
export interface RefusedLine {
  line: number
  code: string
  message: string
}

/** The lines an upload refusal names, in order; anything not shaped `line <n>` is left out. */
export function refusedLines(fields: readonly FieldError[]): RefusedLine[] {
  return fields.flatMap((f) => {
    const m = /^line (\d+)$/.exec(f.field)
    return m ? [{ line: Number(m[1]), code: f.code, message: f.message }] : []
  })
}

/** A draft that cannot go to review yet: its customer list is empty (the server refuses QY-CAMP-0011). */
export function needsCustomers(campaign: { state: string; customer_list: { total: number } }): boolean {
  return campaign.state === 'Draft' && campaign.customer_list.total === 0
}
