-- a running bench job of :n tasks counted in 64 slots, as planning leaves it
WITH j AS (INSERT INTO jobs (kind, input, state, n_tasks, started_at) VALUES ('bench', 'pgbench-micro', 'running', :n, now()) RETURNING id)
SELECT id AS job FROM j \gset
INSERT INTO tasks (job_id, kind, payload, fair_seq) SELECT :job, 'bench', jsonb_build_object('item', g), g FROM generate_series(1, :n) g;
INSERT INTO job_counters (job_id, slot, n_tasks) SELECT :job, (id % 64)::int, count(*) FROM tasks WHERE job_id = :job GROUP BY 2;
UPDATE jobs SET counter_slots = 64, slots_open = 64 WHERE id = :job;
