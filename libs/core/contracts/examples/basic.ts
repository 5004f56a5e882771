import { decode, encode, Topic } from '../src';

const { key, value } = encode(Topic.Queries, { id: 'q1', messages: [{ role: 'user', content: 'hi' }] });
console.log(key, value);

const bad = decode(Topic.Queries, Buffer.from('{"id":"q2","messages":[{"role":"robot","content":"x"}]}'));
if (!bad.ok) console.log(bad.error.message);
