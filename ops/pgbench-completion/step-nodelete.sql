\if :tid = 0
SELECT task_id AS tid, attempt AS att, job_id AS jid FROM slipline_finish_claim('pgb-' || :client_id, '{}'::bigint[], '{}'::int[], 1, 600) \gset
\else
BEGIN;
INSERT INTO bench_results (task_id, job_id, item, worker_id, attempt) SELECT * FROM unnest(ARRAY[:tid]::bigint[], ARRAY[:jid]::bigint[], ARRAY[1]::int[], ARRAY['pgb-' || :client_id]::text[], ARRAY[:att]::int[]);
SELECT task_id AS tid, attempt AS att, job_id AS jid FROM slipline_finish_claim('pgb-' || :client_id, ARRAY[:tid]::bigint[], ARRAY[:att]::int[], 1, 600) \gset
COMMIT;
\endif
