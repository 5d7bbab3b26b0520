import { portalFlow } from './flow'

portalFlow({ run: 'auth', credentials: { username: 'admin', password: 'correct horse battery' } })
