// npx tsx libs/core/numerics/examples/basic.ts
import { Rng, mulberry32, normalCdf, normalQuantile } from '../src';

const rng = new Rng(42);
console.log('three uniforms', rng.next(), rng.next(), rng.next());
console.log('a normal, a Beta(2, 6)', rng.normal(), rng.beta(2, 6));
const saved = rng.state; // the whole state is one 32-bit integer
console.log('same draw after restoring the state', rng.next() === Object.assign(new Rng(), { state: saved }).next());

const uniform = mulberry32(7); // the same generator as a bare function
console.log('mulberry32(7)()', uniform());

const z = normalQuantile(0.975);
console.log('z for a 95% two-sided interval', z.toFixed(6), 'and back', normalCdf(z).toFixed(6));
