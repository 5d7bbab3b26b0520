import type { FunctionComponent } from 'preact'
import type { FunctionStatus } from '../../../src/schemas/openfaas'

/**
 * What every panel of a function's page gets. Panels are independent of each
 * other, so a new view of a function (such as a live metrics chart) is one
 * more component in function-detail.tsx's PANELS and nothing else changes.
 */
export type PanelProps = {
  /** The function as last polled: it changes while the panel is shown. */
  fn: FunctionStatus
  namespace: string
  /** Poll the function list now, after a change this panel made. */
  refresh: () => void
  /** Leave the function's page, after it was deleted. */
  leave: () => void
}

export type Panel = { id: string; title: string; Component: FunctionComponent<PanelProps> }
