import { describe, expect, it } from 'vitest'
import type { Diagram } from '@/api/types'
import { CAMPAIGN_DIAGRAM } from './fixtures/campaign-diagram'
import { STOCK_DIAGRAM } from './fixtures/stock-diagram'
import { boxesOverlap, diagramView, edgePath, eventLabel, layoutDiagram, NODE_FONT, takenTransitions, textWidth, withAlpha } from '@/utils/process-diagram'
import { stateStyle } from '@/utils/process-labels'

const KINDS: Record<string, Diagram> = { campaign: CAMPAIGN_DIAGRAM, 'stock-change': STOCK_DIAGRAM }
const LOCALES = ['zh-CN', 'en']

describe('layoutDiagram', () => {
  for (const [kind, diagram] of Object.entries(KINDS)) {
    for (const locale of LOCALES) {
      it(`lays out the ${kind} machine in ${locale} as before (snapshot)`, () => {
        expect(layoutDiagram(diagram, locale)).toMatchSnapshot()
      })

      it(`puts no edge label of the ${kind} machine (${locale}) on a state or on another label`, () => {
        const layout = layoutDiagram(diagram, locale)
        const labels = layout.edges.map((e) => ({ name: e.label, ...e.label_box }))
        for (const label of labels) {
          for (const node of layout.nodes) expect(boxesOverlap(label, node), `${label.name} on ${node.id}`).toBe(false)
        }
        for (let i = 0; i < labels.length; i++) {
          for (let j = i + 1; j < labels.length; j++) expect(boxesOverlap(labels[i]!, labels[j]!), `${labels[i]!.name} on ${labels[j]!.name}`).toBe(false)
        }
        for (let i = 0; i < layout.nodes.length; i++) {
          for (let j = i + 1; j < layout.nodes.length; j++) expect(boxesOverlap(layout.nodes[i]!, layout.nodes[j]!)).toBe(false)
        }
      })

      it(`sizes every box of the ${kind} machine (${locale}) to its text and keeps all inside the drawing`, () => {
        const layout = layoutDiagram(diagram, locale)
        for (const n of layout.nodes) {
          expect(n.width, n.label).toBeGreaterThanOrEqual(textWidth(n.label, NODE_FONT) + 20)
          expect(n.x - n.width / 2).toBeGreaterThanOrEqual(0)
          expect(n.x + n.width / 2).toBeLessThanOrEqual(layout.width)
          expect(n.y + n.height / 2).toBeLessThanOrEqual(layout.height)
        }
      })
    }
  }

  it('gives an English label the room it takes: Second review is wider than 待复核', () => {
    const width = (locale: string) => layoutDiagram(CAMPAIGN_DIAGRAM, locale).nodes.find((n) => n.id === 'SecondReview')!.width
    expect(width('en')).toBeGreaterThan(width('zh-CN'))
    expect(textWidth('Second review', 13)).toBeGreaterThan(textWidth('待复核', 13))
  })

  it('layers the campaign left to right along its way, loops drawn back', () => {
    const x = Object.fromEntries(layoutDiagram(CAMPAIGN_DIAGRAM, 'zh-CN').nodes.map((n) => [n.id, n.x]))
    const way = ['Draft', 'FirstReview', 'SecondReview', 'Scheduled', 'Running', 'Paused', 'Ended', 'Evaluated']
    for (let i = 1; i < way.length; i++) expect(x[way[i]!]!, way[i]).toBeGreaterThan(x[way[i - 1]!]!)
  })

  it('draws one edge per pair of states, the events joined, no self-loops', () => {
    const d: Diagram = {
      states: [
        { id: 'A', label_zh: 'A', label_en: 'A', terminal: false },
        { id: 'B', label_zh: 'B', label_en: 'B', terminal: true },
      ],
      transitions: [
        { from: 'A', to: 'B', event: 'go', label_zh: '去', label_en: 'go' },
        { from: 'A', to: 'B', event: 'run', label_zh: '跑', label_en: 'run' },
        { from: 'B', to: 'B', event: 'stay', label_zh: '留', label_en: 'stay' },
      ],
    }
    const layout = layoutDiagram(d, 'zh-CN')
    expect(layout.edges.map((e) => [e.from, e.to, e.label])).toEqual([['A', 'B', '去 / 跑']])
    const back = layoutDiagram(CAMPAIGN_DIAGRAM, 'zh-CN').edges.filter((e) => e.from === 'FirstReview' && e.to === 'Draft')
    expect(back.map((e) => e.label)).toEqual(['退回 / 撤回'])
  })
})

describe('diagramView', () => {
  const timeline = [
    { from_state: null, to_state: 'Draft' },
    { from_state: 'Draft', to_state: 'FirstReview' },
    { from_state: 'FirstReview', to_state: 'SecondReview' },
    { from_state: 'SecondReview', to_state: 'Scheduled' },
  ]
  const view = diagramView(CAMPAIGN_DIAGRAM, { current: 'Scheduled', locale: 'zh-CN', taken: takenTransitions(timeline) })

  it('lights the current state alone, filled with its colour', () => {
    const lit = view.nodes.filter((n) => n.current)
    expect(lit.map((n) => n.id)).toEqual(['Scheduled'])
    expect(lit[0]?.fill).toBe(stateStyle('Scheduled').color)
    expect(lit[0]?.textColor).toBe('#ffffff')
    for (const n of view.nodes.filter((x) => !x.current)) expect(n.fill).toMatch(/^rgba\(/)
  })

  it('fades the states the process has not been through', () => {
    const opacity = Object.fromEntries(view.nodes.map((n) => [n.id, n.opacity]))
    expect(opacity.Draft).toBe(1)
    expect(opacity.SecondReview).toBe(1)
    expect(opacity.Running).toBeLessThan(1)
    expect(opacity.Rejected).toBeLessThan(1)
  })

  it('draws the transitions taken dark and thick, the others light', () => {
    const taken = view.edges.filter((e) => e.taken).map((e) => `${e.from}→${e.to}`)
    expect(taken.sort()).toEqual(['Draft→FirstReview', 'FirstReview→SecondReview', 'SecondReview→Scheduled'])
    expect(view.edges.find((e) => e.from === 'Running' && e.to === 'Paused')?.width).toBeLessThan(2)
  })

  it('labels states in the UI language', () => {
    const en = diagramView(CAMPAIGN_DIAGRAM, { current: 'Draft', locale: 'en' })
    expect(en.nodes.find((n) => n.id === 'FirstReview')?.label).toBe('First review')
    expect(view.nodes.find((n) => n.id === 'Running')?.label).toBe('进行中')
  })
})

describe('edgePath', () => {
  it('runs through the points with the corners rounded', () => {
    expect(edgePath([])).toBe('')
    expect(edgePath([{ x: 0, y: 0 }, { x: 10, y: 0 }])).toBe('M0,0 L10,0')
    expect(edgePath([{ x: 0, y: 0 }, { x: 10, y: 0 }, { x: 10, y: 10 }])).toBe('M0,0 Q10,0 10,5 L10,10')
  })

  it('turns a hex colour into rgba', () => {
    expect(withAlpha('#1d5ba8', 0.5)).toBe('rgba(29, 91, 168, 0.5)')
    expect(withAlpha('red', 0.5)).toBe('red')
  })
})

describe('eventLabel', () => {
  it('names an event by the diagram the server sent, in the UI language', () => {
    expect(eventLabel('Submit', 'zh-CN', CAMPAIGN_DIAGRAM)).toBe('提交')
    expect(eventLabel('Submit', 'en', CAMPAIGN_DIAGRAM)).toBe('Submit')
  })

  it('names the creation, and shows an unknown event as its code', () => {
    expect(eventLabel('Start', 'zh-CN', CAMPAIGN_DIAGRAM)).toBe('创建')
    expect(eventLabel('Start', 'en')).toBe('Created')
    expect(eventLabel('Mystery', 'zh-CN', CAMPAIGN_DIAGRAM)).toBe('Mystery')
  })
})
