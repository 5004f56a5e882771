import { spawn } from 'node:child_process';
import { cpuMsOf, machineBusyMs, treeCpuMs } from './process-cpu';

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
