/**
 * A query of the default scope on row `row` of the synthetic dataset, as a Kafka message keyed
 * by its id; `extra` is merged into the query (constraints, metadata).
 */
export const datasetQuery = (id: string, row: number, extra: Record<string, unknown> = {}) => ({
  key: id,
  value: JSON.stringify({
    id,
    scope: 'default',
    messages: [{ role: 'user', content: `Question ${row}` }],
    datasetRow: row,
    ...extra,
  }),
});
