// What the benchmark needs from Linux: CPU pinning, a process's CPU time,
// and a description of the machine the numbers came from.
import { execFileSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { fileURLToPath } from 'node:url'

const run = (command, args) => {
  try {
    return execFileSync(command, args, { stdio: ['ignore', 'pipe', 'ignore'], encoding: 'utf8' }).trim()
  } catch {
    return undefined
  }
}

/** True when `taskset` exists and there are two cores to keep the Worker and the load apart. */
export function canPin() {
  return availableParallelism() >= 2 && run('taskset', ['--version']) !== undefined
}

/** Moves every thread of this process (the load generator and the upstream) onto `cpu`. */
export function pinSelf(cpu) {
  execFileSync('taskset', ['-a', '-p', '-c', String(cpu), String(process.pid)], { stdio: 'ignore' })
}

// /proc reports CPU time in clock ticks; 100 on nearly every Linux, asked anyway.
export const clockTicks = Number(run('getconf', ['CLK_TCK'])) || 100

/** User plus system CPU time of a whole process (all its threads), in µs. */
export function processCpuUs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  // The command name may contain spaces and parentheses; the fields after its last ')' do not.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  const ticks = Number(fields[11]) + Number(fields[12])
  return (ticks * 1e6) / clockTicks
}

export function processName(pid) {
  return readFileSync(`/proc/${pid}/comm`, 'utf8').trim()
}

export function machine() {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8')
  const workerd = fileURLToPath(new URL('../node_modules/.bin/workerd', import.meta.url))
  return {
    cpu: /^model name\s*:\s*(.*)$/m.exec(cpuinfo)?.[1] ?? 'unknown',
    cores: availableParallelism(),
    kernel: readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim(),
    node: process.version,
    workerd: run(workerd, ['--version'])?.replace(/^workerd\s+/, '') ?? 'unknown',
    clockTicks,
  }
}

/** Processes this one started and that still run, found by parent pid rather than by name. */
export function ownChildren() {
  const children = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      if (ppid === process.pid) children.push(Number(entry))
    } catch {
      // Gone between the listing and the read.
    }
  }
  return children
}

/** Busy CPU time (steal included: a VM's neighbours count too) of the machine and of each core, in µs. */
export function cpuBusyUs() {
  const busy = (line) => {
    const [user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number)
    return ((user + nice + system + irq + softirq + steal) * 1e6) / clockTicks
  }
  const lines = readFileSync('/proc/stat', 'utf8').split('\n')
  return {
    total: busy(lines[0]),
    cpus: lines.filter((line) => /^cpu\d+ /.test(line)).map(busy),
  }
}
