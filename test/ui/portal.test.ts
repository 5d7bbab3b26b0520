import { portalFlow } from './flow'

portalFlow({ run: 'open' })
