// The state diagram of a process (the server's transition table) → an ECharts `graph` option with a
// fixed left-to-right layout: a state's column is its longest distance from the first state once the
// edges that close a loop (退回, 恢复 …) are set aside, and within a column the states that go on stand
// above the terminal ones. Transitions between the same two states are drawn once, their labels joined.
// The current state is filled with its colour; states and transitions the timeline went through are
// drawn solid, the rest faded. Pure: the component only hands the option to ECharts.
import type { Diagram } from '@/api/types'
import { stateStyle } from './process-labels'

export interface NodePlace {
  /** Column, 0 for the first state. */
  rank: number
  /** Row within the column, 0 at the top. */
  row: number
}

/** Edges that close a loop, found by a depth-first walk from the first state in the table's order. */
function backEdges(diagram: Diagram): Set<string> {
  const out = new Map<string, string[]>()
  for (const tr of diagram.transitions) out.set(tr.from, [...(out.get(tr.from) ?? []), tr.to])
  const back = new Set<string>()
  const state = new Map<string, 'open' | 'done'>()
  const visit = (id: string): void => {
    state.set(id, 'open')
    for (const next of out.get(id) ?? []) {
      const s = state.get(next)
      if (s === 'open') back.add(`${id}→${next}`)
      else if (s === undefined) visit(next)
    }
    state.set(id, 'done')
  }
  for (const s of diagram.states) if (!state.has(s.id)) visit(s.id)
  return back
}

/** Column and row of every state of `diagram`. */
export function layoutDiagram(diagram: Diagram): Map<string, NodePlace> {
  const ids = diagram.states.map((s) => s.id)
  const known = new Set(ids)
  const back = backEdges(diagram)
  const forward = diagram.transitions.filter((tr) => known.has(tr.from) && known.has(tr.to) && tr.from !== tr.to && !back.has(`${tr.from}→${tr.to}`))
  // Longest path over the acyclic rest (Kahn's order keeps it linear).
  const indegree = new Map(ids.map((id) => [id, 0]))
  for (const tr of forward) indegree.set(tr.to, (indegree.get(tr.to) ?? 0) + 1)
  const rank = new Map(ids.map((id) => [id, 0]))
  const queue = ids.filter((id) => indegree.get(id) === 0)
  while (queue.length > 0) {
    const id = queue.shift()!
    for (const tr of forward) {
      if (tr.from !== id) continue
      rank.set(tr.to, Math.max(rank.get(tr.to) ?? 0, (rank.get(id) ?? 0) + 1))
      indegree.set(tr.to, (indegree.get(tr.to) ?? 0) - 1)
      if (indegree.get(tr.to) === 0) queue.push(tr.to)
    }
  }
  const places = new Map<string, NodePlace>()
  const columns = new Map<number, string[]>()
  // Within a column: states that go on first, then terminal ones, each in the table's order.
  const ordered = [...diagram.states.filter((s) => !s.terminal), ...diagram.states.filter((s) => s.terminal)]
  for (const s of ordered) {
    const r = rank.get(s.id) ?? 0
    const column = columns.get(r) ?? []
    column.push(s.id)
    columns.set(r, column)
    places.set(s.id, { rank: r, row: column.length - 1 })
  }
  return places
}

export interface DiagramOptions {
  current: string
  locale: string
  /** `from→to` pairs the process went through (from its timeline). */
  taken?: ReadonlyArray<readonly [string | null, string]>
}

/** Height of a row of states in pixels (the chart is as tall as its rows need). */
export const ROW_GAP = 84
const NODE_SIZE: [number, number] = [84, 32]
const FADED_EDGE = '#c0c4cc'
const TAKEN_EDGE = '#4a5668'

/** `#rrggbb` with alpha `a` (0–1) as `rgba(…)`. */
export function withAlpha(hex: string, a: number): string {
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex)
  if (!m) return hex
  return `rgba(${parseInt(m[1]!, 16)}, ${parseInt(m[2]!, 16)}, ${parseInt(m[3]!, 16)}, ${a})`
}

export interface DiagramNode {
  name: string
  /** [column, row] on the hidden axes: the chart spreads the columns over its width, nodes keep their size. */
  value: [number, number]
  label: { formatter: string; color: string; fontWeight: 'bold' | 'normal' }
  itemStyle: { color: string; borderColor: string; borderWidth: number; opacity: number; shadowBlur: number; shadowColor: string }
  symbolSize: [number, number]
  /** True for the current state (for tests and tooltips). */
  current: boolean
}

export interface DiagramLink {
  source: string
  target: string
  label: { show: true; formatter: string; color: string }
  lineStyle: { color: string; width: number; curveness: number; opacity: number }
  taken: boolean
}

/** The series data: nodes at their places and the merged links, styled by current / visited / taken. */
export function diagramGraph(diagram: Diagram, options: DiagramOptions): { nodes: DiagramNode[]; links: DiagramLink[]; columns: number; rows: number } {
  const places = layoutDiagram(diagram)
  const en = !options.locale.startsWith('zh')
  const takenPairs = new Set((options.taken ?? []).filter(([from]) => from !== null).map(([from, to]) => `${from}→${to}`))
  const visited = new Set<string>([options.current])
  for (const [from, to] of options.taken ?? []) {
    if (from) visited.add(from)
    visited.add(to)
  }
  const nodes: DiagramNode[] = diagram.states.map((s) => {
    const place = places.get(s.id) ?? { rank: 0, row: 0 }
    const color = stateStyle(s.id).color
    const current = s.id === options.current
    const seen = visited.has(s.id)
    return {
      name: s.id,
      value: [place.rank, place.row],
      label: { formatter: en ? s.label_en : s.label_zh, color: current ? '#ffffff' : '#1f2d3d', fontWeight: current ? 'bold' : 'normal' },
      itemStyle: {
        color: current ? color : withAlpha(color, seen ? 0.14 : 0.06),
        borderColor: color,
        borderWidth: current ? 3 : seen ? 1.5 : 1,
        opacity: current || seen ? 1 : 0.55,
        shadowBlur: current ? 12 : 0,
        shadowColor: current ? withAlpha(color, 0.6) : 'transparent',
      },
      symbolSize: current ? [NODE_SIZE[0] + 6, NODE_SIZE[1] + 4] : NODE_SIZE,
      current,
    }
  })
  // One link per ordered pair, labels joined.
  const merged = new Map<string, { from: string; to: string; labels: string[] }>()
  for (const tr of diagram.transitions) {
    // A self-loop (a change request while Scheduled, a level approved within SecondReview) changes no
    // state; the timeline tells of it.
    if (!places.has(tr.from) || !places.has(tr.to) || tr.from === tr.to) continue
    const key = `${tr.from}→${tr.to}`
    const label = en ? tr.label_en : tr.label_zh
    const entry = merged.get(key) ?? { from: tr.from, to: tr.to, labels: [] }
    if (!entry.labels.includes(label)) entry.labels.push(label)
    merged.set(key, entry)
  }
  const links: DiagramLink[] = [...merged.values()].map(({ from, to, labels }) => {
    const a = places.get(from)!
    const b = places.get(to)!
    const backwards = b.rank < a.rank || (b.rank === a.rank && b.row < a.row)
    const pairedBack = merged.has(`${to}→${from}`)
    // Straight between neighbours on a row; an arc when it jumps over states, changes rows or goes back.
    let curveness = 0
    if (backwards) curveness = pairedBack ? 0.35 : 0.3
    else if (a.row !== b.row) curveness = 0.12
    else if (b.rank - a.rank > 1) curveness = -0.25
    else if (pairedBack) curveness = 0.2
    const taken = takenPairs.has(`${from}→${to}`)
    return {
      source: from,
      target: to,
      label: { show: true, formatter: labels.join(' / '), color: taken ? TAKEN_EDGE : '#7a8699' },
      lineStyle: { color: taken ? TAKEN_EDGE : FADED_EDGE, width: taken ? 2 : 1, curveness, opacity: 1 },
      taken,
    }
  })
  const columns = Math.max(0, ...[...places.values()].map((p) => p.rank)) + 1
  const rows = Math.max(0, ...[...places.values()].map((p) => p.row)) + 1
  return { nodes, links, columns, rows }
}

/**
 * The whole ECharts option for `diagram`: a graph on hidden value axes (one unit a column or row), so
 * that the columns spread over the chart's width while nodes keep their pixel size — a graph with
 * `layout: 'none'` alone would squeeze and scale them to fit.
 */
export function diagramOption(diagram: Diagram, options: DiagramOptions) {
  const { nodes, links, columns, rows } = diagramGraph(diagram, options)
  const hidden = { show: false, splitLine: { show: false } }
  return {
    animation: false,
    tooltip: { show: false },
    grid: { left: 52, right: 52, top: 30, bottom: 30 },
    xAxis: { type: 'value' as const, min: 0, max: Math.max(1, columns - 1), ...hidden },
    yAxis: { type: 'value' as const, min: 0, max: Math.max(1, rows - 1), inverse: true, ...hidden },
    series: [
      {
        type: 'graph' as const,
        coordinateSystem: 'cartesian2d' as const,
        roam: false,
        symbol: 'roundRect',
        edgeSymbol: ['none', 'arrow'],
        edgeSymbolSize: [0, 8],
        label: { show: true, position: 'inside' as const, fontSize: 12 },
        edgeLabel: { show: true, fontSize: 10, distance: 2 },
        data: nodes.map(({ current: _current, ...node }) => node),
        links: links.map(({ taken: _taken, ...link }) => link),
      },
    ],
  }
}

/** The `from→to` pairs of a timeline, for `taken`. */
export function takenTransitions(timeline: ReadonlyArray<{ from_state?: string | null; to_state: string }>): Array<[string | null, string]> {
  return timeline.map((e) => [e.from_state ?? null, e.to_state])
}

/** The one event a timeline shows that is no transition of a machine: the process's creation. */
const START_LABELS: readonly [string, string] = ['创建', 'Created']

/** An event's name in the UI language, from the process's own diagram (the server's words). */
export function eventLabel(event: string, locale: string, diagram?: Diagram): string {
  const zh = locale.startsWith('zh')
  const tr = diagram?.transitions.find((x) => x.event === event)
  if (tr) return zh ? tr.label_zh : tr.label_en
  if (event === 'Start') return zh ? START_LABELS[0] : START_LABELS[1]
  return event
}
