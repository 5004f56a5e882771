import { spawn } from 'node:child_process';
import { cpuMsOf, cpuMsPerUnit, machineBusyMs, ownCpuMs, processesCpuMs, readCpu, treeCpuMs } from './process-cpu';

const NO_SUCH_PID = 2 ** 22 + 7;

/** A node process that spins for `ms` of wall time; resolves once /proc shows it has used CPU. */
async function spawnBusyChild(ms: number) {
  const child = spawn(process.execPath, ['-e', `const e = Date.now() + ${ms}; while (Date.now() < e);`]);
  await new Promise<void>((resolve) => {
    const t = setInterval(() => {
      if ((cpuMsOf(child.pid) ?? 0) > 0) {
        clearInterval(t);
        resolve();
      }
    }, 50);
  });
  return child;
}

const burn = (ms: number) => {
  const end = Date.now() + ms;
  let x = 0;
  while (Date.now() < end) x += Math.sqrt(x + 1);
  return x;
};

describe('process CPU from /proc', () => {
  it("counts this process's own CPU, and the machine's at least as much", () => {
    const [own0, machine0] = [cpuMsOf(process.pid)!, machineBusyMs()!];
    burn(300);
    const [own1, machine1] = [cpuMsOf(process.pid)!, machineBusyMs()!];
    // CPU time, not wall time: on a busy machine the loop gets less than 300 ms of it.
    expect(own1 - own0).toBeGreaterThan(0);
    expect(machine1 - machine0).toBeGreaterThanOrEqual(own1 - own0 - 20);
  });

  it("adds a child's CPU to its parent's tree, while it runs and after it has exited", async () => {
    const before = treeCpuMs(process.pid)!;
    const child = spawn(process.execPath, ['-e', 'const e = Date.now() + 400; while (Date.now() < e);']);
    const childCpu = await new Promise<number>((resolve) => {
      const t = setInterval(() => {
        const v = cpuMsOf(child.pid);
        if (v !== undefined && v > 0) {
          clearInterval(t);
          resolve(v);
        }
      }, 50);
    });
    const during = treeCpuMs(process.pid)!;
    expect(during - before).toBeGreaterThanOrEqual(childCpu);
    await new Promise((r) => child.once('exit', r));
    // Reaped: its time moves into this process's children's count, the tree keeps it.
    expect(treeCpuMs(process.pid)!).toBeGreaterThanOrEqual(during);
  });

  it('answers undefined for a process that does not exist', () => {
    expect(cpuMsOf(2 ** 22 + 7)).toBeUndefined();
    expect(treeCpuMs(2 ** 22 + 7)).toBeUndefined();
    expect(cpuMsOf(undefined)).toBeUndefined();
  });
});

describe('CPU of named parts', () => {
  it('reads each part in the order named: this process, a child, the two summed, and an unreadable pid', async () => {
    const child = await spawnBusyChild(2000);
    try {
      const cpu = {
        self: ownCpuMs,
        child: () => cpuMsOf(child.pid),
        both: () => processesCpuMs([process.pid, child.pid]),
        none: () => processesCpuMs([]),
        gone: () => cpuMsOf(NO_SUCH_PID),
        goneAmongOthers: () => processesCpuMs([process.pid, NO_SUCH_PID]),
      };
      const before = readCpu(cpu);
      burn(200);
      const after = readCpu(cpu);
      expect(Object.keys(before)).toEqual(['self', 'child', 'both', 'none', 'gone', 'goneAmongOthers']);
      expect(before.child).toBeGreaterThan(0);
      // The same CPU time as /proc's, read back to back: the runtime counts in microseconds, /proc
      // in 10 ms ticks, hence the slack.
      const [fromRuntime, fromProc] = [ownCpuMs(), cpuMsOf(process.pid)!];
      expect(Math.abs(fromRuntime - fromProc)).toBeLessThanOrEqual(50);
      expect(after.self!).toBeGreaterThan(before.self!);
      expect(before.both).toBeGreaterThanOrEqual(before.child!);
      expect(before.none).toBe(0);
      expect(before.gone).toBeUndefined();
      expect(before.goneAmongOthers).toBeUndefined();

      const perUnit = cpuMsPerUnit(before, after, 4);
      expect(perUnit.self).toBe(Math.round(((after.self! - before.self!) / 4) * 1000) / 1000);
      expect(perUnit.self).toBeGreaterThan(0);
      expect(perUnit.child).toBeGreaterThanOrEqual(0);
      expect(perUnit.none).toBe(0);
      expect(perUnit.gone).toBeUndefined();
      expect(perUnit.goneAmongOthers).toBeUndefined();
    } finally {
      child.kill();
    }
  });

  it('divides the difference of two readings by the work done, to 3 decimals', () => {
    const before = { router: 100, postgres: 10, broker: undefined, machine: 500 };
    const after = { router: 160, postgres: 11, broker: 40, machine: 900 };
    expect(cpuMsPerUnit(before, after, 3)).toEqual({
      router: 20,
      postgres: 0.333,
      broker: undefined,
      machine: 133.333,
    });
    // The earlier reading's order, which the CLIs print in.
    expect(Object.keys(cpuMsPerUnit(before, after, 3))).toEqual(['router', 'postgres', 'broker', 'machine']);
  });

  it('gives no figure when no work was done', () => {
    expect(cpuMsPerUnit({ router: 1 }, { router: 2 }, 0)).toEqual({ router: undefined });
  });
});
