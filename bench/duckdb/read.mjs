// Reads a vecimg Parquet export with DuckDB (@duckdb/node-api) and compares
// it with what the store says (the JSON of storecheck): row count, one
// vector's values bit for bit, and SELECT label, count(*). Prints one JSON
// object; exits 1 when something differs.
//
//   node bench/duckdb/read.mjs EXPORT_DIR STORECHECK.json
import { DuckDBInstance } from '@duckdb/node-api';
import { readFileSync } from 'node:fs';

const [dir, checkPath] = process.argv.slice(2);
const want = JSON.parse(readFileSync(checkPath, 'utf8'));
const glob = `${dir}/*.parquet`;
const inst = await DuckDBInstance.create(':memory:');
const con = await inst.connect();
const out = { duckdb: (await (await con.runAndReadAll('SELECT version()')).getRowsJS())[0][0], files: glob };
const timed = async (name, sql, params) => {
  const t = performance.now();
  const rows = (await con.runAndReadAll(sql, params)).getRowsJS();
  out[`${name}_seconds`] = +((performance.now() - t) / 1000).toFixed(3);
  return rows;
};
const src = `read_parquet('${glob}')`;

const schema = await timed('schema', `SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM ${src})`);
out.schema = Object.fromEntries(schema);
const count = Number((await timed('count', `SELECT count(*) FROM ${src}`))[0][0]);
out.count = count;
out.count_ok = count === want.count;

const vrows = await timed('vector', `SELECT vector, len(vector) FROM ${src} WHERE id = $id`, { id: want.id });
const got = vrows.length === 1 ? vrows[0][0] : [];
const f = new Float32Array(1), u = new Uint32Array(f.buffer);
const bits = got.map((x) => { f[0] = x; return u[0].toString(16).padStart(8, '0'); });
let firstDiff = -1;
for (let i = 0; i < Math.max(bits.length, want.vector_bits.length); i++) {
  if (bits[i] !== want.vector_bits[i]) { firstDiff = i; break; }
}
out.vector_id = want.id;
out.vector_len = got.length;
out.vector_first_values = got.slice(0, 4);
out.vector_ok = vrows.length === 1 && firstDiff === -1;
if (firstDiff >= 0) out.vector_first_diff = { index: firstDiff, duckdb: bits[firstDiff], store: want.vector_bits[firstDiff] };

const lrows = await timed('labels', `SELECT label, count(*) FROM ${src} GROUP BY label ORDER BY label NULLS FIRST`);
const labels = Object.fromEntries(lrows.map(([l, n]) => [l === null ? 'null' : String(l), Number(n)]));
out.labels = labels;
const keys = new Set([...Object.keys(labels), ...Object.keys(want.labels)]);
out.labels_ok = [...keys].every((k) => labels[k] === want.labels[k]);

// A full pass over every vector value (how fast DuckDB decodes the column).
const agg = await timed('full_scan', `SELECT sum(list_sum(vector))::DOUBLE, min(len(vector)), max(len(vector)) FROM ${src}`);
out.full_scan = { sum: agg[0][0], min_len: agg[0][1], max_len: agg[0][2] };
out.lengths_ok = Number(agg[0][1]) === want.dim && Number(agg[0][2]) === want.dim;

const kv = await timed('metadata', `SELECT decode(value) FROM parquet_kv_metadata('${glob}') WHERE decode(key) = 'vecimg.manifest' LIMIT 1`);
out.manifest_in_metadata = kv.length === 1 ? JSON.parse(kv[0][0]) : null;

out.ok = out.count_ok && out.vector_ok && out.labels_ok && out.lengths_ok;
console.log(JSON.stringify(out, (k, v) => (typeof v === 'bigint' ? Number(v) : v), 1));
process.exit(out.ok ? 0 : 1);
