// The state diagram of a process (the server's transition table) laid out as a layered graph by dagre
// (left to right, the edges that close a loop — 退回, 恢复 — drawn back): every state a box sized to its
// label in the UI language, every transition between two states one edge with its labels joined, each
// edge label placed by the layout on its own spot on the edge (dagre gives labels room of their own, so
// they sit neither on a state nor on each other). Then the look: the current state filled with its colour,
// the states and transitions the timeline went through drawn solid, the rest faded. Pure: the component
// draws the result as SVG, and the unit tests keep a snapshot of the geometry per process kind.
import dagre from '@dagrejs/dagre'
import type { Diagram } from '@/api/types'
import { stateStyle } from './process-labels'

/** Font sizes the component draws with (the layout sizes boxes to them). */
export const NODE_FONT = 13
export const EDGE_FONT = 11
const NODE_PAD_X = 14
const NODE_HEIGHT = 34
const EDGE_PAD_X = 4
const EDGE_LABEL_HEIGHT = 16

/**
 * A generous estimate of `text`'s width in pixels at `size` px (Han characters a full em, Latin letters
 * about 0.6 em): the same on every machine, so the layout and its snapshot do not depend on fonts, and
 * never narrower than the system fonts draw it.
 */
export function textWidth(text: string, size: number): number {
  let em = 0
  for (const ch of text) {
    const code = ch.codePointAt(0) ?? 0
    if (code >= 0x2e80) em += 1
    else if (ch === ' ') em += 0.3
    else if (/[A-Z0-9]/.test(ch)) em += 0.68
    else if (/[il.,'|!]/.test(ch)) em += 0.3
    else if (/[mw]/.test(ch)) em += 0.85
    else em += 0.58
  }
  return Math.ceil(em * size)
}

export interface Point {
  x: number
  y: number
}

/** A state's box: its centre and size. */
export interface NodeBox {
  id: string
  label: string
  terminal: boolean
  x: number
  y: number
  width: number
  height: number
}

/** A transition (all events between two states): its polyline, and its label's box centred at (x, y). */
export interface EdgeLine {
  from: string
  to: string
  label: string
  points: Point[]
  label_box: { x: number; y: number; width: number; height: number }
}

export interface DiagramLayout {
  width: number
  height: number
  nodes: NodeBox[]
  edges: EdgeLine[]
}

const round = (n: number): number => Math.round(n * 10) / 10

/** Transitions between the same two states joined into one, self-loops left out (the timeline tells of them). */
function mergedTransitions(diagram: Diagram, zh: boolean): { from: string; to: string; labels: string[] }[] {
  const known = new Set(diagram.states.map((s) => s.id))
  const merged = new Map<string, { from: string; to: string; labels: string[] }>()
  for (const tr of diagram.transitions) {
    if (!known.has(tr.from) || !known.has(tr.to) || tr.from === tr.to) continue
    const key = `${tr.from}→${tr.to}`
    const label = zh ? tr.label_zh : tr.label_en
    const entry = merged.get(key) ?? { from: tr.from, to: tr.to, labels: [] }
    if (!entry.labels.includes(label)) entry.labels.push(label)
    merged.set(key, entry)
  }
  return [...merged.values()]
}

/** The geometry of `diagram` in `locale`: boxes sized to their labels, edges and their labels placed by dagre. */
export function layoutDiagram(diagram: Diagram, locale: string): DiagramLayout {
  const zh = locale.startsWith('zh')
  const g = new dagre.graphlib.Graph()
  g.setGraph({ rankdir: 'LR', nodesep: 26, ranksep: 44, edgesep: 14, marginx: 10, marginy: 10, ranker: 'network-simplex' })
  g.setDefaultEdgeLabel(() => ({}))
  for (const s of diagram.states) {
    const label = zh ? s.label_zh : s.label_en
    g.setNode(s.id, { label, width: textWidth(label, NODE_FONT) + 2 * NODE_PAD_X, height: NODE_HEIGHT })
  }
  const transitions = mergedTransitions(diagram, zh)
  for (const tr of transitions) {
    const label = tr.labels.join(' / ')
    g.setEdge(tr.from, tr.to, { label, width: textWidth(label, EDGE_FONT) + 2 * EDGE_PAD_X, height: EDGE_LABEL_HEIGHT, labelpos: 'c' })
  }
  dagre.layout(g)
  const nodes: NodeBox[] = diagram.states.map((s) => {
    const n = g.node(s.id)
    return { id: s.id, label: zh ? s.label_zh : s.label_en, terminal: s.terminal, x: round(n.x), y: round(n.y), width: n.width, height: n.height }
  })
  const edges: EdgeLine[] = transitions.map((tr) => {
    const e = g.edge(tr.from, tr.to) as { points: Point[]; x: number; y: number; width: number; height: number; label: string }
    return {
      from: tr.from,
      to: tr.to,
      label: e.label,
      points: e.points.map((p) => ({ x: round(p.x), y: round(p.y) })),
      label_box: { x: round(e.x), y: round(e.y), width: e.width, height: e.height },
    }
  })
  const graph = g.graph()
  return { width: Math.ceil(graph.width ?? 0), height: Math.ceil(graph.height ?? 0), nodes, edges }
}

export interface DiagramOptions {
  current: string
  locale: string
  /** `from→to` pairs the process went through (from its timeline). */
  taken?: ReadonlyArray<readonly [string | null, string]>
}

export const FADED_EDGE = '#c0c4cc'
export const TAKEN_EDGE = '#4a5668'

/** `#rrggbb` with alpha `a` (0–1) as `rgba(…)`. */
export function withAlpha(hex: string, a: number): string {
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex)
  if (!m) return hex
  return `rgba(${parseInt(m[1]!, 16)}, ${parseInt(m[2]!, 16)}, ${parseInt(m[3]!, 16)}, ${a})`
}

export interface DrawnNode extends NodeBox {
  fill: string
  stroke: string
  strokeWidth: number
  textColor: string
  bold: boolean
  opacity: number
  current: boolean
}

export interface DrawnEdge extends EdgeLine {
  /** SVG path through the points, the corners rounded. */
  path: string
  color: string
  width: number
  taken: boolean
}

/** An SVG path through `points`: straight runs, each inner corner rounded by a quadratic curve. */
export function edgePath(points: readonly Point[]): string {
  if (points.length === 0) return ''
  const [first, ...rest] = points
  let d = `M${first!.x},${first!.y}`
  if (rest.length === 0) return d
  for (let i = 0; i < rest.length - 1; i++) {
    const p = rest[i]!
    const next = rest[i + 1]!
    const mid = { x: round((p.x + next.x) / 2), y: round((p.y + next.y) / 2) }
    d += ` Q${p.x},${p.y} ${mid.x},${mid.y}`
  }
  const last = rest[rest.length - 1]!
  return `${d} L${last.x},${last.y}`
}

/** A diagram as drawn: the layout with its look. */
export interface DiagramView {
  width: number
  height: number
  nodes: DrawnNode[]
  edges: DrawnEdge[]
}

/** The layout with its look: current / visited / taken. */
export function diagramView(diagram: Diagram, options: DiagramOptions): DiagramView {
  const layout = layoutDiagram(diagram, options.locale)
  const takenPairs = new Set((options.taken ?? []).filter(([from]) => from !== null).map(([from, to]) => `${from}→${to}`))
  const visited = new Set<string>([options.current])
  for (const [from, to] of options.taken ?? []) {
    if (from) visited.add(from)
    visited.add(to)
  }
  const nodes: DrawnNode[] = layout.nodes.map((n) => {
    const color = stateStyle(n.id).color
    const current = n.id === options.current
    const seen = visited.has(n.id)
    return {
      ...n,
      fill: current ? color : withAlpha(color, seen ? 0.14 : 0.06),
      stroke: color,
      strokeWidth: current ? 2.5 : seen ? 1.5 : 1,
      textColor: current ? '#ffffff' : '#1f2d3d',
      bold: current,
      opacity: current || seen ? 1 : 0.6,
      current,
    }
  })
  const edges: DrawnEdge[] = layout.edges.map((e) => {
    const taken = takenPairs.has(`${e.from}→${e.to}`)
    return { ...e, path: edgePath(e.points), color: taken ? TAKEN_EDGE : FADED_EDGE, width: taken ? 2 : 1.2, taken }
  })
  return { width: layout.width, height: layout.height, nodes, edges }
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

/** Whether two boxes (centre and size) overlap by more than `slack` pixels. */
export function boxesOverlap(a: { x: number; y: number; width: number; height: number }, b: { x: number; y: number; width: number; height: number }, slack = 0.5): boolean {
  return Math.abs(a.x - b.x) < (a.width + b.width) / 2 - slack && Math.abs(a.y - b.y) < (a.height + b.height) / 2 - slack
}
