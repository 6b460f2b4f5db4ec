import { describe, expect, it } from 'vitest'
import type { Diagram } from '@/api/types'
import { CAMPAIGN_DIAGRAM } from './fixtures/campaign-diagram'
import { diagramGraph, diagramOption, eventLabel, layoutDiagram, ROW_GAP, takenTransitions, withAlpha } from '@/utils/process-diagram'
import { stateStyle } from '@/utils/process-labels'

function places(diagram: Diagram) {
  return Object.fromEntries([...layoutDiagram(diagram)].map(([id, p]) => [id, [p.rank, p.row]]))
}

describe('layoutDiagram', () => {
  it('lays the campaign machine out left to right, terminal states below the way on', () => {
    expect(places(CAMPAIGN_DIAGRAM)).toEqual({
      Draft: [0, 0],
      FirstReview: [1, 0],
      SecondReview: [2, 0],
      Scheduled: [3, 0],
      Rejected: [3, 1],
      Running: [4, 0],
      Cancelled: [4, 1],
      Paused: [5, 0],
      Ended: [6, 0],
      Evaluated: [7, 0],
    })
  })

  it('is not thrown by loops (退回, 恢复) or self-loops', () => {
    const d: Diagram = {
      states: [
        { id: 'A', label_zh: 'A', label_en: 'A', terminal: false },
        { id: 'B', label_zh: 'B', label_en: 'B', terminal: false },
        { id: 'C', label_zh: 'C', label_en: 'C', terminal: true },
      ],
      transitions: [
        { from: 'A', to: 'B', event: 'go', label_zh: '去', label_en: 'go' },
        { from: 'B', to: 'A', event: 'back', label_zh: '回', label_en: 'back' },
        { from: 'B', to: 'B', event: 'stay', label_zh: '留', label_en: 'stay' },
        { from: 'B', to: 'C', event: 'end', label_zh: '完', label_en: 'end' },
      ],
    }
    expect(places(d)).toEqual({ A: [0, 0], B: [1, 0], C: [2, 0] })
  })

  it('places states no transition reaches in the first column, one below the other', () => {
    const d: Diagram = {
      states: [
        { id: 'X', label_zh: 'X', label_en: 'X', terminal: false },
        { id: 'Y', label_zh: 'Y', label_en: 'Y', terminal: false },
      ],
      transitions: [],
    }
    expect(places(d)).toEqual({ X: [0, 0], Y: [0, 1] })
  })
})

describe('diagramGraph', () => {
  const timeline = [
    { from_state: null, to_state: 'Draft' },
    { from_state: 'Draft', to_state: 'FirstReview' },
    { from_state: 'FirstReview', to_state: 'SecondReview' },
    { from_state: 'SecondReview', to_state: 'Scheduled' },
  ]
  const graph = diagramGraph(CAMPAIGN_DIAGRAM, { current: 'Scheduled', locale: 'zh-CN', taken: takenTransitions(timeline) })

  it('lights the current state alone, filled with its colour', () => {
    const lit = graph.nodes.filter((n) => n.current)
    expect(lit.map((n) => n.name)).toEqual(['Scheduled'])
    expect(lit[0]?.itemStyle.color).toBe(stateStyle('Scheduled').color)
    expect(lit[0]?.label.color).toBe('#ffffff')
    for (const n of graph.nodes.filter((x) => !x.current)) expect(n.itemStyle.color).toMatch(/^rgba\(/)
  })

  it('fades the states the process has not been through', () => {
    const opacity = Object.fromEntries(graph.nodes.map((n) => [n.name, n.itemStyle.opacity]))
    expect(opacity.Draft).toBe(1)
    expect(opacity.SecondReview).toBe(1)
    expect(opacity.Running).toBeLessThan(1)
    expect(opacity.Rejected).toBeLessThan(1)
  })

  it('places nodes on the grid and labels them in the UI language', () => {
    const running = graph.nodes.find((n) => n.name === 'Running')
    expect(running?.value).toEqual([4, 0])
    expect(graph.nodes.find((n) => n.name === 'Rejected')?.value).toEqual([3, 1])
    expect(ROW_GAP).toBeGreaterThan(60)
    expect(running?.label.formatter).toBe('进行中')
    const en = diagramGraph(CAMPAIGN_DIAGRAM, { current: 'Draft', locale: 'en' })
    expect(en.nodes.find((n) => n.name === 'FirstReview')?.label.formatter).toBe('First review')
    expect(en.columns).toBe(8)
    expect(en.rows).toBe(2)
  })

  it('draws one link per pair of states, with the events joined, and no self-loops', () => {
    const back = graph.links.filter((l) => l.source === 'FirstReview' && l.target === 'Draft')
    expect(back).toHaveLength(1)
    expect(back[0]?.label.formatter).toBe('退回 / 撤回')
    expect(graph.links.some((l) => l.source === l.target)).toBe(false)
  })

  it('draws the transitions taken dark and thick, the others light', () => {
    const taken = graph.links.filter((l) => l.taken).map((l) => `${l.source}→${l.target}`)
    expect(taken.sort()).toEqual(['Draft→FirstReview', 'FirstReview→SecondReview', 'SecondReview→Scheduled'])
    const other = graph.links.find((l) => l.source === 'Running' && l.target === 'Paused')
    expect(other?.lineStyle.width).toBe(1)
  })

  it('bends the links that go back or jump over a state, not the ones between neighbours', () => {
    const curve = (from: string, to: string) => graph.links.find((l) => l.source === from && l.target === to)?.lineStyle.curveness
    expect(curve('Scheduled', 'Running')).toBe(0)
    expect(curve('Ended', 'Evaluated')).toBe(0)
    expect(curve('Paused', 'Running')).not.toBe(0)
    expect(curve('FirstReview', 'Scheduled')).not.toBe(0)
    // Running ⇄ Paused both ways: the two arcs bend to opposite sides of the line between them.
    expect(curve('Running', 'Paused')).not.toBe(0)
  })
})

describe('diagramOption', () => {
  it('is one graph series without layout or roaming', () => {
    const option = diagramOption(CAMPAIGN_DIAGRAM, { current: 'Draft', locale: 'zh-CN' })
    expect(option.series).toHaveLength(1)
    expect(option.series[0]).toMatchObject({ type: 'graph', coordinateSystem: 'cartesian2d', roam: false })
    expect(option.xAxis).toMatchObject({ min: 0, max: 7, show: false })
    expect(option.yAxis).toMatchObject({ min: 0, max: 1, inverse: true })
    expect(option.series[0]?.data).toHaveLength(10)
    expect(option.series[0]?.data.every((n) => !('current' in n))).toBe(true)
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
