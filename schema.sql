-- Slipline schema: the one source of truth, applied by `ctl db migrate` (and by every command
-- on the embedded database) in one transaction under an advisory lock, so running it twice
-- changes nothing.
--
-- Numbered sections, each starting with a line `-- migrate: <version> <name>`, hold tables,
-- indexes, views, grants and data changes. Each is applied once, in version order, and its
-- checksum is recorded in schema_migrations: never edit an applied section, add a new one.
--
-- Repeatable sections, each starting with a line `-- repeatable: <name>`, hold what can be
-- re-created in place: every SQL function, once, as CREATE OR REPLACE, with its privileges.
-- They run after all numbered sections (wherever they stand in this file), and again whenever
-- their text changes (checksum recorded in schema_repeatables): edit a function right where it
-- is. Changing a function's arguments or result type needs a numbered section that drops it.

-- migrate: 1 task queue
CREATE TABLE jobs (
    id              bigserial PRIMARY KEY,
    kind            text        NOT NULL,
    input           text        NOT NULL,
    params          jsonb       NOT NULL DEFAULT '{}',
    state           text        NOT NULL DEFAULT 'queued'
                    CHECK (state IN ('queued', 'running', 'done', 'failed', 'cancelled')),
    priority        int         NOT NULL DEFAULT 0,
    max_attempts    int         NOT NULL DEFAULT 3 CHECK (max_attempts >= 1),
    -- base of the exponential retry backoff, seconds
    retry_base_s    double precision NOT NULL DEFAULT 1.0,
    n_tasks         int         NOT NULL DEFAULT 0,
    n_done          int         NOT NULL DEFAULT 0,
    n_dead          int         NOT NULL DEFAULT 0,
    error           text,
    submitted_at    timestamptz NOT NULL DEFAULT now(),
    started_at      timestamptz,
    finished_at     timestamptz
);
CREATE INDEX jobs_to_plan ON jobs (priority DESC, id) WHERE state = 'queued';

CREATE TABLE tasks (
    id               bigserial PRIMARY KEY,
    job_id           bigint      NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    kind             text        NOT NULL,
    role             text        NOT NULL DEFAULT 'shard' CHECK (role IN ('shard', 'merge')),
    payload          jsonb       NOT NULL DEFAULT '{}',
    state            text        NOT NULL DEFAULT 'queued'
                     CHECK (state IN ('queued', 'leased', 'done', 'failed', 'dead', 'cancelled')),
    priority         int         NOT NULL DEFAULT 0,
    attempts         int         NOT NULL DEFAULT 0,
    max_attempts     int         NOT NULL DEFAULT 3,
    -- number of tasks this one waits for that are not yet finished (done or dead)
    deps_pending     int         NOT NULL DEFAULT 0,
    run_after        timestamptz NOT NULL DEFAULT now(),
    worker_id        text,
    lease_expires_at timestamptz,
    error            text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    started_at       timestamptz,
    finished_at      timestamptz
);
-- The claim query walks this index in order: ready tasks by priority, then age.
CREATE INDEX tasks_claimable ON tasks (priority DESC, id)
    WHERE state IN ('queued', 'failed') AND deps_pending = 0;
CREATE INDEX tasks_lease_expiry ON tasks (lease_expires_at) WHERE state = 'leased';
CREATE INDEX tasks_by_worker ON tasks (worker_id) WHERE state = 'leased';
CREATE INDEX tasks_by_job ON tasks (job_id, state);
-- Every claim turns index entries at the head of tasks_claimable into dead ones; vacuum the
-- queue table early and without throttling so claims do not wade through them.
ALTER TABLE tasks SET (autovacuum_vacuum_scale_factor = 0.01, autovacuum_vacuum_threshold = 5000,
                       autovacuum_vacuum_cost_delay = 0, autovacuum_analyze_scale_factor = 0.05);

CREATE TABLE task_deps (
    task_id    bigint NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    depends_on bigint NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    PRIMARY KEY (task_id, depends_on)
);
CREATE INDEX task_deps_by_dependency ON task_deps (depends_on);

CREATE TABLE workers (
    id           text PRIMARY KEY,
    host         text        NOT NULL,
    pid          int         NOT NULL,
    slots        int         NOT NULL,
    state        text        NOT NULL DEFAULT 'running'
                 CHECK (state IN ('running', 'stopping', 'stopped', 'lost')),
    started_at   timestamptz NOT NULL DEFAULT now(),
    heartbeat_at timestamptz NOT NULL DEFAULT now(),
    stopped_at   timestamptz
);

-- Results of the built-in `bench` task kind (one row per shard task, replaced on re-run).
CREATE TABLE bench_results (
    task_id    bigint PRIMARY KEY REFERENCES tasks (id) ON DELETE CASCADE,
    job_id     bigint NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    item       int    NOT NULL,
    worker_id  text   NOT NULL,
    attempt    int    NOT NULL,
    written_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX bench_results_by_job ON bench_results (job_id);

-- What a bench job's merge step saw (one row per job, replaced on re-run).
CREATE TABLE bench_merges (
    task_id     bigint PRIMARY KEY REFERENCES tasks (id) ON DELETE CASCADE,
    job_id      bigint NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    n_results   int    NOT NULL,
    n_expected  int    NOT NULL,
    merged_at   timestamptz NOT NULL DEFAULT now()
);

CREATE VIEW jobs_overview AS
SELECT j.id AS job_id, j.kind, j.state, j.input, j.n_tasks, j.n_done,
       (SELECT count(*)::int FROM tasks t WHERE t.job_id = j.id AND t.state = 'dead') AS n_failed,
       j.submitted_at, j.finished_at
FROM jobs j;

CREATE VIEW tasks_overview AS
SELECT t.job_id, t.id AS task_id, t.kind, t.state, t.attempts,
       t.worker_id AS worker, t.lease_expires_at, t.error
FROM tasks t;

-- A role for `ctl sql`: may read, never write. Creating roles needs CREATEROLE; on a server
-- where the migrating user lacks it, the queue still works and `ctl sql` relies on its
-- read-only transaction alone.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'slipline_reader') THEN
        CREATE ROLE slipline_reader NOLOGIN;
    END IF;
    EXECUTE format('GRANT CONNECT ON DATABASE %I TO slipline_reader', current_database());
    GRANT USAGE ON SCHEMA public TO slipline_reader;
    GRANT SELECT ON ALL TABLES IN SCHEMA public TO slipline_reader;
    ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO slipline_reader;
EXCEPTION WHEN insufficient_privilege THEN
    RAISE NOTICE 'slipline_reader role not created: %', SQLERRM;
END;
$$;

-- migrate: 2 bcdi results
-- One row per analysed volume, written by the job's merge task (replaced when it re-runs).
CREATE TABLE bcdi_volume_results (
    task_id      bigint NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    job_id       bigint NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    volume_index int    NOT NULL,
    volume_file  text   NOT NULL,
    psi_file     text   NOT NULL,
    shape        jsonb  NOT NULL,
    n_unmasked   bigint NOT NULL,
    max_psi      double precision NOT NULL,
    n_lines      int    NOT NULL,
    png_file     text,
    vtk_file     text,
    mask_source  text,
    ramp         jsonb,
    method       text,
    PRIMARY KEY (task_id, volume_index)
);
CREATE INDEX bcdi_volume_results_by_job ON bcdi_volume_results (job_id, volume_index);

-- One row per detected line; track_id links a line through the volumes of a series, and
-- displacement_vox/shift give its motion from the previous volume of its track.
CREATE TABLE bcdi_line_results (
    task_id          bigint NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    job_id           bigint NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    volume_index     int    NOT NULL,
    volume_file      text   NOT NULL,
    line_id          int    NOT NULL,
    track_id         bigint,
    points           jsonb  NOT NULL,
    length_vox       double precision NOT NULL,
    length_nm        double precision,
    closed           boolean NOT NULL,
    start_on_surface boolean NOT NULL,
    end_on_surface   boolean NOT NULL,
    max_psi          double precision NOT NULL,
    direction        jsonb,
    winding_sign     int,
    displacement_vox double precision,
    shift            jsonb,
    PRIMARY KEY (task_id, volume_index, line_id)
);
CREATE INDEX bcdi_line_results_by_job ON bcdi_line_results (job_id, volume_index, line_id);

CREATE VIEW bcdi_volumes AS
SELECT job_id, volume_index, volume_file, psi_file, shape, n_unmasked, max_psi,
       n_lines, png_file, vtk_file, mask_source, ramp, method
FROM bcdi_volume_results;

CREATE VIEW bcdi_lines AS
SELECT job_id, volume_index, volume_file, line_id, track_id, points, length_vox,
       length_nm, closed, start_on_surface, end_on_surface, max_psi, direction, winding_sign,
       displacement_vox, shift
FROM bcdi_line_results;

-- Each track: the volumes it spans and how far its line moved in total.
CREATE VIEW bcdi_tracks AS
SELECT job_id, track_id, min(volume_index) AS first_volume, max(volume_index) AS last_volume,
       count(*)::int AS n_volumes, coalesce(sum(displacement_vox), 0) AS total_displacement_vox
FROM bcdi_line_results
WHERE track_id IS NOT NULL
GROUP BY job_id, track_id;

DO $$
BEGIN
    GRANT SELECT ON bcdi_volume_results, bcdi_line_results, bcdi_volumes, bcdi_lines, bcdi_tracks
        TO slipline_reader;
EXCEPTION WHEN insufficient_privilege OR undefined_object THEN
    RAISE NOTICE 'slipline_reader: bcdi grants skipped: %', SQLERRM;
END;
$$;

-- migrate: 3 tem results
-- One row per analysed frame, written by the shard task that analysed it (or, for the good
-- frames of a shard that died on a corrupt frame, by the job's merge task).
CREATE TABLE tem_frame_results (
    task_id        bigint NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    job_id         bigint NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    frame_index    int    NOT NULL,
    frame_file     text   NOT NULL,
    n_dislocations int    NOT NULL,
    width          int    NOT NULL,
    height         int    NOT NULL,
    PRIMARY KEY (task_id, frame_index)
);
CREATE INDEX tem_frame_results_by_job ON tem_frame_results (job_id, frame_index);

-- One row per detected dislocation of a frame (same owner as its frame row); `points` holds
-- the resampled centreline as [[x, y], …] px.
CREATE TABLE tem_dislocation_results (
    task_id        bigint NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    job_id         bigint NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    frame_index    int    NOT NULL,
    frame_file     text   NOT NULL,
    dislocation_id int    NOT NULL,
    points         jsonb  NOT NULL,
    length_px      double precision NOT NULL,
    length_nm      double precision,
    mean_curvature double precision NOT NULL,
    max_curvature  double precision NOT NULL,
    mean_response  double precision NOT NULL,
    centroid_x     double precision NOT NULL,
    centroid_y     double precision NOT NULL,
    PRIMARY KEY (task_id, frame_index, dislocation_id)
);
CREATE INDEX tem_dislocation_results_by_job ON tem_dislocation_results (job_id, frame_index, dislocation_id);

-- Written by the merge task: one row per track …
CREATE TABLE tem_track_results (
    task_id        bigint NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    job_id         bigint NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    track_id       bigint NOT NULL,
    first_frame    int    NOT NULL,
    last_frame     int    NOT NULL,
    n_frames       int    NOT NULL,
    mean_speed_px  double precision,
    path_length_px double precision,
    mean_length_px double precision,
    PRIMARY KEY (task_id, track_id)
);
CREATE INDEX tem_track_results_by_job ON tem_track_results (job_id, track_id);

-- … and one row per tracked curve: its track, centroid, centroid velocity (px/frame, central
-- differences) and its pile-up neighbour in the frame (the nearest roughly parallel curve).
CREATE TABLE tem_track_point_results (
    task_id          bigint NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    job_id           bigint NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    frame_index      int    NOT NULL,
    dislocation_id   int    NOT NULL,
    track_id         bigint NOT NULL,
    x                double precision NOT NULL,
    y                double precision NOT NULL,
    vx               double precision NOT NULL,
    vy               double precision NOT NULL,
    neighbour_dislocation_id int,
    neighbour_track_id bigint,
    pair_distance_px double precision,
    pair_distance_nm double precision,
    PRIMARY KEY (task_id, frame_index, dislocation_id)
);
CREATE INDEX tem_track_point_results_by_job ON tem_track_point_results (job_id, frame_index, dislocation_id);
CREATE INDEX tem_track_point_results_by_track ON tem_track_point_results (job_id, track_id, frame_index);

-- The merge's report files.
CREATE TABLE tem_report_results (
    task_id        bigint NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    job_id         bigint NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    n_frames       int    NOT NULL,
    n_dislocations bigint NOT NULL,
    n_tracks       int    NOT NULL,
    overlay_files  jsonb  NOT NULL,
    plot_file      text,
    salvaged_frames int   NOT NULL DEFAULT 0,
    PRIMARY KEY (task_id)
);
CREATE INDEX tem_report_results_by_job ON tem_report_results (job_id);

CREATE VIEW tem_frames AS
SELECT job_id, frame_index, frame_file, n_dislocations, width, height
FROM tem_frame_results;

CREATE VIEW tem_dislocations AS
SELECT d.job_id, d.frame_index, d.frame_file, d.dislocation_id, p.track_id, d.points, d.length_px,
       d.length_nm, d.mean_curvature, d.max_curvature, d.mean_response, d.centroid_x, d.centroid_y
FROM tem_dislocation_results d
LEFT JOIN tem_track_point_results p
       ON p.job_id = d.job_id AND p.frame_index = d.frame_index AND p.dislocation_id = d.dislocation_id;

CREATE VIEW tem_tracks AS
SELECT job_id, track_id, first_frame, last_frame, n_frames, mean_speed_px, path_length_px, mean_length_px
FROM tem_track_results;

-- Centroid position and velocity of every tracked dislocation per frame (px, px/frame).
CREATE VIEW tem_velocities AS
SELECT job_id, track_id, frame_index, dislocation_id, x, y, vx, vy, sqrt(vx * vx + vy * vy) AS speed_px
FROM tem_track_point_results;

-- Distance from each tracked dislocation to its pile-up neighbour per frame (the paper's
-- pair-distance plot: pick the two leading tracks).
CREATE VIEW tem_pair_distances AS
SELECT job_id, frame_index, track_id, dislocation_id, neighbour_track_id, neighbour_dislocation_id,
       pair_distance_px AS distance_px, pair_distance_nm AS distance_nm
FROM tem_track_point_results
WHERE pair_distance_px IS NOT NULL;

DO $$
BEGIN
    GRANT SELECT ON tem_frame_results, tem_dislocation_results, tem_track_results, tem_track_point_results,
        tem_report_results, tem_frames, tem_dislocations, tem_tracks, tem_velocities, tem_pair_distances
        TO slipline_reader;
EXCEPTION WHEN insufficient_privilege OR undefined_object THEN
    RAISE NOTICE 'slipline_reader: tem grants skipped: %', SQLERRM;
END;
$$;

-- migrate: 4 stem4d results
-- One row per virtual image a stem4d merge wrote (float32 HDF5 `/image` + PNG).
CREATE TABLE stem4d_image_results (
    task_id          bigint NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    job_id           bigint NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    name             text   NOT NULL,
    file             text   NOT NULL,
    detector         jsonb  NOT NULL,
    png_file         text,
    stereo_angle_deg double precision,
    strategy         text,
    PRIMARY KEY (task_id, name)
);
CREATE INDEX stem4d_image_results_by_job ON stem4d_image_results (job_id, name);

-- 3D lines from the stereo pair (mode=dislocations).
CREATE TABLE stem4d_line_results (
    task_id          bigint NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    job_id           bigint NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    line_id          int    NOT NULL,
    points           jsonb  NOT NULL,
    reprojection_rms double precision,
    n_points         int,
    PRIMARY KEY (task_id, line_id)
);
CREATE INDEX stem4d_line_results_by_job ON stem4d_line_results (job_id, line_id);

-- 3D particles (mode=particles).
CREATE TABLE stem4d_particle_results (
    task_id     bigint NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    job_id      bigint NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    particle_id int    NOT NULL,
    x           double precision NOT NULL,
    y           double precision NOT NULL,
    z           double precision NOT NULL,
    radius      double precision NOT NULL,
    n_views     int,
    residual    double precision,
    PRIMARY KEY (task_id, particle_id)
);
CREATE INDEX stem4d_particle_results_by_job ON stem4d_particle_results (job_id, particle_id);

-- Radial distribution function of the particles.
CREATE TABLE stem4d_rdf_results (
    task_id bigint NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    job_id  bigint NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    bin     int    NOT NULL,
    r       double precision NOT NULL,
    g       double precision NOT NULL,
    PRIMARY KEY (task_id, bin)
);
CREATE INDEX stem4d_rdf_results_by_job ON stem4d_rdf_results (job_id, bin);

-- One row per merged job: calibration, stereo geometry, pattern and report files.
CREATE TABLE stem4d_job_results (
    task_id          bigint NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    job_id           bigint NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    input_file       text   NOT NULL,
    shape            jsonb  NOT NULL,
    mode             text   NOT NULL,
    bf_cx            double precision NOT NULL,
    bf_cy            double precision NOT NULL,
    bf_radius        double precision NOT NULL,
    calibration      text,
    mrad_per_px      double precision,
    stereo_angle_deg double precision,
    strategy         text,
    mean_pattern_file text,
    max_pattern_file  text,
    report_file      text,
    n_particles      int,
    n_lines          int,
    PRIMARY KEY (task_id)
);
CREATE INDEX stem4d_job_results_by_job ON stem4d_job_results (job_id);

CREATE VIEW stem4d_virtual_images AS
SELECT job_id, name, file, detector, png_file, stereo_angle_deg, strategy
FROM stem4d_image_results;

CREATE VIEW stem4d_lines3d AS
SELECT job_id, line_id, points, reprojection_rms, n_points
FROM stem4d_line_results;

CREATE VIEW stem4d_particles AS
SELECT job_id, particle_id, x, y, z, radius, n_views, residual
FROM stem4d_particle_results;

CREATE VIEW stem4d_rdf AS
SELECT job_id, r, g
FROM stem4d_rdf_results;

CREATE VIEW stem4d_summary AS
SELECT job_id, input_file, shape, mode, bf_cx, bf_cy, bf_radius, calibration, mrad_per_px, stereo_angle_deg,
       strategy, mean_pattern_file, max_pattern_file, report_file, n_particles, n_lines
FROM stem4d_job_results;

DO $$
BEGIN
    GRANT SELECT ON stem4d_image_results, stem4d_line_results, stem4d_particle_results, stem4d_rdf_results,
        stem4d_job_results, stem4d_virtual_images, stem4d_lines3d, stem4d_particles, stem4d_rdf, stem4d_summary
        TO slipline_reader;
EXCEPTION WHEN insufficient_privilege OR undefined_object THEN
    RAISE NOTICE 'slipline_reader: stem4d grants skipped: %', SQLERRM;
END;
$$;

-- migrate: 5 roles
-- Roles for hosts other than the service node. Each worker host logs in as a LOGIN role made
-- a member of `slipline_worker` (`ctl db create-role worker NAME`). That role may read, run
-- the queue's worker operations (functions of the repeatable section, SECURITY DEFINER with a
-- pinned search_path) and insert/delete rows of results tables; it cannot change the schema or
-- UPDATE/DELETE queue rows (jobs, tasks, task_deps, workers) directly.

DO $$
BEGIN
    -- Roles are per cluster: another database's migration may create it at the same moment.
    BEGIN
        CREATE ROLE slipline_worker NOLOGIN;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN
        NULL;
    END;
    EXECUTE format('GRANT CONNECT ON DATABASE %I TO slipline_worker', current_database());
    EXECUTE format('GRANT USAGE ON SCHEMA %I TO slipline_worker', current_schema());
    EXECUTE format('GRANT SELECT ON ALL TABLES IN SCHEMA %I TO slipline_worker', current_schema());
    EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I GRANT SELECT ON TABLES TO slipline_worker', current_schema());
EXCEPTION WHEN insufficient_privilege THEN
    RAISE NOTICE 'slipline_worker role not set up: %', SQLERRM;
END;
$$;

-- migrate: 6 idempotent bookkeeping
-- slipline_after_terminal counts each task at most once: a task is marked `counted` when its
-- end is booked on its job and dependants. Calling it twice (a retried completion, or a worker
-- role calling it on purpose) can no longer inflate job counters or release merges early.
ALTER TABLE tasks ADD COLUMN counted boolean NOT NULL DEFAULT false;
UPDATE tasks SET counted = true WHERE state IN ('done', 'dead');

-- migrate: 7 kinds
-- What each shard hands its job's merge (one row per shard task, replaced when it re-runs),
-- written like any results table and read back by the merge through TaskStore.shardOutputs.
CREATE TABLE shard_outputs (
    task_id bigint PRIMARY KEY REFERENCES tasks (id) ON DELETE CASCADE,
    job_id  bigint NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    output  jsonb  NOT NULL
);
CREATE INDEX shard_outputs_by_job ON shard_outputs (job_id);

DO $$
BEGIN
    GRANT SELECT ON shard_outputs TO slipline_reader;
EXCEPTION WHEN insufficient_privilege OR undefined_object THEN
    RAISE NOTICE 'slipline_reader: shard_outputs grant skipped: %', SQLERRM;
END;
$$;

-- A task's kind names its data kind only; its role says whether it is a shard or the merge.
-- Users keep seeing `KIND.merge` for merge tasks in tasks_overview, as before.
UPDATE tasks SET kind = split_part(kind, '.', 1) WHERE kind LIKE '%.%';
CREATE OR REPLACE VIEW tasks_overview AS
SELECT t.job_id, t.id AS task_id, t.kind || CASE WHEN t.role = 'merge' THEN '.merge' ELSE '' END AS kind,
       t.state, t.attempts, t.worker_id AS worker, t.lease_expires_at, t.error
FROM tasks t;

-- migrate: 8 queue scaling
-- A lost lease (its worker died, was preempted or was cut off) is not an error: it is counted
-- in tasks.lost_leases, apart from failed attempts, against the job's own budget
-- (jobs.max_lost_leases), so a long task on preemptible nodes is not killed by max_attempts.
-- tasks.attempts still counts every claim (the completion fence); errors = attempts - lost_leases.
ALTER TABLE jobs ADD COLUMN max_lost_leases int NOT NULL DEFAULT 10 CHECK (max_lost_leases >= 1);
ALTER TABLE tasks ADD COLUMN lost_leases int NOT NULL DEFAULT 0;
-- Retention: `ctl db prune` deletes the tasks of jobs that ended long enough ago (their dead
-- tasks and every results row stay); pruned_at marks such a job, which can then not be retried.
ALTER TABLE jobs ADD COLUMN pruned_at timestamptz;
CREATE INDEX jobs_to_prune ON jobs (finished_at)
    WHERE state IN ('done', 'failed', 'cancelled') AND pruned_at IS NULL;

CREATE OR REPLACE VIEW tasks_overview AS
SELECT t.job_id, t.id AS task_id, t.kind || CASE WHEN t.role = 'merge' THEN '.merge' ELSE '' END AS kind,
       t.state, t.attempts, t.worker_id AS worker, t.lease_expires_at, t.error, t.lost_leases
FROM tasks t;

-- Fairness: jobs of equal priority share workers round-robin. Each task gets a place in a
-- virtual time, fair_seq = (where the queue's head stood when its job was planned) + its index
-- in the job; claims go by priority, then fair_seq, then age. A job planned behind a deep one
-- starts at the deep one's head and alternates with it, task for task, instead of waiting for
-- it to drain; jobs planned together interleave from the start. Still one index walk.
ALTER TABLE tasks ADD COLUMN fair_seq bigint NOT NULL DEFAULT 0;
DROP INDEX tasks_claimable;
CREATE INDEX tasks_claimable ON tasks (priority DESC, fair_seq, id)
    WHERE state IN ('queued', 'failed') AND deps_pending = 0;

-- migrate: 9 tem drift
-- The stage drift of each frame (px, relative to frame 0; phase correlation against frame 0 in
-- the shard; NULL where the reference frame could not be read). Points stay in image
-- coordinates; the merge links tracks with the drift removed.
ALTER TABLE tem_frame_results ADD COLUMN drift_x double precision, ADD COLUMN drift_y double precision;
CREATE OR REPLACE VIEW tem_frames AS
SELECT job_id, frame_index, frame_file, n_dislocations, width, height, drift_x, drift_y
FROM tem_frame_results;

-- migrate: 10 nanodiff results
-- Written by the nanodiff merge (replaced when it re-runs). x, y are scan positions: x the
-- column, y the row, origin the centre of position (0, 0).
CREATE TABLE nanodiff_scan_results (
    task_id            bigint NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    job_id             bigint NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    scan_index         int    NOT NULL,
    scan_file          text   NOT NULL,
    shape              jsonb  NOT NULL,
    n_positions        int    NOT NULL,
    n_diffracting      int    NOT NULL,
    d0_angstrom        double precision NOT NULL,
    q0                 jsonb  NOT NULL,
    step_nm            double precision NOT NULL,
    n_clusters         int    NOT NULL,
    silhouette         double precision,
    explained_variance jsonb,
    maps_file          text   NOT NULL,
    n_dislocations     int    NOT NULL,
    n_boundaries       int    NOT NULL,
    PRIMARY KEY (task_id, scan_index)
);
CREATE INDEX nanodiff_scan_results_by_job ON nanodiff_scan_results (job_id, scan_index);

-- One row per map a merge wrote: `file` the scan's maps HDF5 file, `dataset` the map in it.
CREATE TABLE nanodiff_map_results (
    task_id    bigint NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    job_id     bigint NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    scan_index int    NOT NULL,
    name       text   NOT NULL,
    file       text   NOT NULL,
    dataset    text   NOT NULL,
    png_file   text,
    unit       text,
    min        double precision,
    max        double precision,
    PRIMARY KEY (task_id, scan_index, name)
);
CREATE INDEX nanodiff_map_results_by_job ON nanodiff_map_results (job_id, scan_index, name);

-- One row per scan position; NULL measurements where nothing diffracted above the background.
CREATE TABLE nanodiff_point_results (
    task_id           bigint NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    job_id            bigint NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    scan_index        int    NOT NULL,
    x                 int    NOT NULL,
    y                 int    NOT NULL,
    strain            double precision,
    tilt_x            double precision,
    tilt_y            double precision,
    cluster           int,
    intensity         double precision,
    d_spacing         double precision,
    strain_lpa        double precision,
    tilt_x_lpa        double precision,
    tilt_y_lpa        double precision,
    width_1           double precision,
    width_2           double precision,
    width_3           double precision,
    rocking_width_deg double precision,
    lpa_scale         double precision,
    PRIMARY KEY (task_id, scan_index, y, x)
);
CREATE INDEX nanodiff_point_results_by_job ON nanodiff_point_results (job_id, scan_index, y, x);

-- Dislocations (points) and tilt boundaries (lines: `points` holds the fitted ends).
CREATE TABLE nanodiff_defect_results (
    task_id    bigint NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    job_id     bigint NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    scan_index int    NOT NULL,
    defect_id  int    NOT NULL,
    kind       text   NOT NULL,
    x          double precision NOT NULL,
    y          double precision NOT NULL,
    track_id   bigint,
    strength   double precision,
    points     jsonb,
    PRIMARY KEY (task_id, scan_index, defect_id)
);
CREATE INDEX nanodiff_defect_results_by_job ON nanodiff_defect_results (job_id, scan_index, defect_id);

CREATE VIEW nanodiff_scans AS
SELECT job_id, scan_index, scan_file, shape, n_positions, n_diffracting, d0_angstrom, q0, step_nm, n_clusters,
       silhouette, explained_variance, maps_file, n_dislocations, n_boundaries
FROM nanodiff_scan_results;

CREATE VIEW nanodiff_maps AS
SELECT job_id, scan_index, name, file, dataset, png_file, unit, min, max
FROM nanodiff_map_results;

CREATE VIEW nanodiff_points AS
SELECT job_id, scan_index, x, y, strain, tilt_x, tilt_y, cluster, intensity, d_spacing, strain_lpa, tilt_x_lpa,
       tilt_y_lpa, width_1, width_2, width_3, rocking_width_deg, lpa_scale
FROM nanodiff_point_results;

CREATE VIEW nanodiff_defects AS
SELECT job_id, scan_index, defect_id, kind, x, y, track_id, strength, points
FROM nanodiff_defect_results;

DO $$
BEGIN
    GRANT SELECT ON nanodiff_scan_results, nanodiff_map_results, nanodiff_point_results, nanodiff_defect_results,
        nanodiff_scans, nanodiff_maps, nanodiff_points, nanodiff_defects
        TO slipline_reader;
EXCEPTION WHEN insufficient_privilege OR undefined_object THEN
    RAISE NOTICE 'slipline_reader: nanodiff grants skipped: %', SQLERRM;
END;
$$;

-- migrate: 11 bcdi ensembles
-- A time step may be an ensemble (several reconstructions in a directory per step): the
-- volume row gives how many were combined, each consensus line the mean fraction of it found
-- in each member (`confidence`, 1 = all agree; null for a single reconstruction) and how many
-- members hold at least half of it.
ALTER TABLE bcdi_volume_results ADD COLUMN n_members int;
ALTER TABLE bcdi_line_results ADD COLUMN confidence double precision, ADD COLUMN n_agreeing int;

CREATE OR REPLACE VIEW bcdi_volumes AS
SELECT job_id, volume_index, volume_file, psi_file, shape, n_unmasked, max_psi,
       n_lines, png_file, vtk_file, mask_source, ramp, method, n_members
FROM bcdi_volume_results;

CREATE OR REPLACE VIEW bcdi_lines AS
SELECT job_id, volume_index, volume_file, line_id, track_id, points, length_vox,
       length_nm, closed, start_on_surface, end_on_surface, max_psi, direction, winding_sign,
       displacement_vox, shift, confidence, n_agreeing
FROM bcdi_line_results;

-- migrate: 12 partial merges
-- Hierarchical merges: a plan may carry partial merges (role `partial`), each waiting for a
-- consecutive range of shards and handing its output to the final merge through shard_outputs,
-- like a shard; the final merge waits for the partials. No task grows with the whole job.
ALTER TABLE tasks DROP CONSTRAINT tasks_role_check;
ALTER TABLE tasks ADD CONSTRAINT tasks_role_check CHECK (role IN ('shard', 'partial', 'merge'));
CREATE OR REPLACE VIEW tasks_overview AS
SELECT t.job_id, t.id AS task_id, t.kind || CASE WHEN t.role = 'shard' THEN '' ELSE '.' || t.role END AS kind,
       t.state, t.attempts, t.worker_id AS worker, t.lease_expires_at, t.error, t.lost_leases
FROM tasks t;

-- TEM tracking in two levels: a partial links its frame range into tracklets and writes the
-- per-curve rows with the tracklet's id (track_id NULL); the final merge links tracklets over
-- the whole video and writes one row per tracklet with its track (NULL: too short, dropped).
-- The views resolve the track through that table; rows of older jobs keep their track_id.
ALTER TABLE tem_track_point_results ADD COLUMN tracklet_id bigint, ADD COLUMN neighbour_tracklet_id bigint;
ALTER TABLE tem_track_point_results ALTER COLUMN track_id DROP NOT NULL;
CREATE TABLE tem_tracklet_results (
    task_id     bigint NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    job_id      bigint NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    tracklet_id bigint NOT NULL,
    track_id    bigint,
    PRIMARY KEY (task_id, tracklet_id)
);
CREATE INDEX tem_tracklet_results_by_job ON tem_tracklet_results (job_id, tracklet_id);

CREATE OR REPLACE VIEW tem_dislocations AS
SELECT d.job_id, d.frame_index, d.frame_file, d.dislocation_id, coalesce(p.track_id, l.track_id) AS track_id, d.points,
       d.length_px, d.length_nm, d.mean_curvature, d.max_curvature, d.mean_response, d.centroid_x, d.centroid_y
FROM tem_dislocation_results d
LEFT JOIN tem_track_point_results p
       ON p.job_id = d.job_id AND p.frame_index = d.frame_index AND p.dislocation_id = d.dislocation_id
LEFT JOIN tem_tracklet_results l ON l.job_id = p.job_id AND l.tracklet_id = p.tracklet_id;

CREATE OR REPLACE VIEW tem_velocities AS
SELECT p.job_id, coalesce(p.track_id, l.track_id) AS track_id, p.frame_index, p.dislocation_id, p.x, p.y, p.vx, p.vy,
       sqrt(p.vx * p.vx + p.vy * p.vy) AS speed_px
FROM tem_track_point_results p
LEFT JOIN tem_tracklet_results l ON l.job_id = p.job_id AND l.tracklet_id = p.tracklet_id
WHERE coalesce(p.track_id, l.track_id) IS NOT NULL;

CREATE OR REPLACE VIEW tem_pair_distances AS
SELECT p.job_id, p.frame_index, coalesce(p.track_id, l.track_id) AS track_id, p.dislocation_id,
       coalesce(p.neighbour_track_id, n.track_id) AS neighbour_track_id, p.neighbour_dislocation_id,
       p.pair_distance_px AS distance_px, p.pair_distance_nm AS distance_nm
FROM tem_track_point_results p
LEFT JOIN tem_tracklet_results l ON l.job_id = p.job_id AND l.tracklet_id = p.tracklet_id
LEFT JOIN tem_tracklet_results n ON n.job_id = p.job_id AND n.tracklet_id = p.neighbour_tracklet_id
WHERE p.pair_distance_px IS NOT NULL AND coalesce(p.track_id, l.track_id) IS NOT NULL;

DO $$
BEGIN
    GRANT SELECT ON tem_tracklet_results TO slipline_reader;
EXCEPTION WHEN insufficient_privilege OR undefined_object THEN
    RAISE NOTICE 'slipline_reader: tem_tracklet_results grant skipped: %', SQLERRM;
END;
$$;

-- migrate: 13 nanodiff region tracks
-- Per position, its connected region in the scan (same cluster, 4-neighbour patch of at least 4
-- positions; NULL for speckle) and the region's track through the series (matched by mask
-- overlap and embedding distance, not by the cluster label).
ALTER TABLE nanodiff_point_results ADD COLUMN region int, ADD COLUMN region_track bigint;

CREATE OR REPLACE VIEW nanodiff_points AS
SELECT job_id, scan_index, x, y, strain, tilt_x, tilt_y, cluster, intensity, d_spacing, strain_lpa, tilt_x_lpa,
       tilt_y_lpa, width_1, width_2, width_3, rocking_width_deg, lpa_scale, region, region_track
FROM nanodiff_point_results;

-- migrate: 14 live progress and reaped leases
-- Live progress without a NOTIFY per completion: slipline_after_terminal announces a job's
-- progress on channel `slipline_progress` (payload: the job id) at most once per 250 ms per
-- job, remembered here, on the job row it updates anyway (no extra row, no extra lock). A
-- NOTIFY takes a database-wide lock at commit, so one per completion would serialise them.
ALTER TABLE jobs ADD COLUMN progress_notified_at timestamptz;

-- Cumulative queue counters that neither a retry (which resets tasks.lost_leases) nor
-- `ctl db prune` (which deletes tasks) can take back: Prometheus counters must not go down.
-- `leases_reaped`: leases taken back from workers that stopped renewing them or died
-- (slipline_requeue_lost), started from the lost leases the tasks remember.
CREATE TABLE queue_counters (
    name  text   PRIMARY KEY,
    value bigint NOT NULL DEFAULT 0
);
INSERT INTO queue_counters (name, value) SELECT 'leases_reaped', coalesce(sum(lost_leases), 0) FROM tasks;

DO $$
BEGIN
    GRANT SELECT ON queue_counters TO slipline_reader;
EXCEPTION WHEN insufficient_privilege OR undefined_object THEN
    RAISE NOTICE 'slipline_reader: queue_counters grant skipped: %', SQLERRM;
END;
$$;

-- migrate: 15 job counters in slots
-- Job counters off the job row (issue 14 item 5). Every completion of a job used to add to the
-- job's own row (n_done, n_dead), so all completions of one job queued for that row's lock: at
-- 1,000 one-second workers on a loaded server, 2.9 ms of a 3.35 ms completion was that wait.
-- A job planned with counter slots (jobs.counter_slots = S > 0, from `--param counter_slots`,
-- default 64, at most its task count) counts each task on slot `task id % S` instead, so
-- concurrent completions of neighbouring tasks update different rows. Each slot knows how many
-- tasks it counts (n_tasks, from the ids at planning). The booking that fills a slot takes one
-- off jobs.slots_open — the job row is locked S times per job, not once per task — and the one
-- that takes slots_open to 0 ends the job. Exactly once: counts only grow, each task is booked
-- once (tasks.counted), and an UPDATE under the row lock sees every committed update before
-- it, so exactly one booking sees a slot go full and exactly one sees slots_open reach 0.
-- At the job's end its slots are folded into jobs.n_done / n_dead and deleted; until then the
-- readers add them (jobs_overview here, JobRecord in the code). counter_slots = 0 (jobs planned
-- before this migration, retried jobs, `--param counter_slots=0`): the job row counts, as before.
ALTER TABLE jobs ADD COLUMN counter_slots int NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN slots_open int NOT NULL DEFAULT 0;

CREATE TABLE job_counters (
    job_id  bigint NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    slot    int    NOT NULL,
    n_tasks int    NOT NULL,
    n_done  int    NOT NULL DEFAULT 0,
    n_dead  int    NOT NULL DEFAULT 0,
    -- progress announcements (migration 14), per slot: at most one per 250 ms × counter_slots
    progress_notified_at timestamptz,
    PRIMARY KEY (job_id, slot)
);
-- Small rows updated once per task: room on the page for HOT updates (no indexed column
-- changes), and vacuumed early like the queue table.
ALTER TABLE job_counters SET (fillfactor = 50, autovacuum_vacuum_scale_factor = 0.01,
                              autovacuum_vacuum_threshold = 1000, autovacuum_vacuum_cost_delay = 0);

CREATE OR REPLACE VIEW jobs_overview AS
SELECT j.id AS job_id, j.kind, j.state, j.input, j.n_tasks,
       j.n_done + coalesce((SELECT sum(c.n_done)::int FROM job_counters c WHERE c.job_id = j.id), 0) AS n_done,
       (SELECT count(*)::int FROM tasks t WHERE t.job_id = j.id AND t.state = 'dead') AS n_failed,
       j.submitted_at, j.finished_at
FROM jobs j;

DO $$
BEGIN
    GRANT SELECT ON job_counters TO slipline_reader;
EXCEPTION WHEN insufficient_privilege OR undefined_object THEN
    RAISE NOTICE 'slipline_reader: job_counters grant skipped: %', SQLERRM;
END;
$$;

-- migrate: 16 lz4 toast for tem points
-- A TEM curve's 50 points are ≈ 2 kB of jsonb, so with its other columns every
-- tem_dislocation_results row passes the 2 kB TOAST threshold and the server compresses the
-- points as it inserts them: with pglz that was ≈ 2 % of a 10,000-frame job's CPU (docs/tem.md,
-- tem-speed32 and tem-speed-33). lz4 compresses several times faster to about the same size.
-- The partial merges' outputs in shard_outputs (≈ 1.2 MB of jsonb each) alike. New values only:
-- stored rows keep pglz and read as before. SET COMPRESSION exists from PostgreSQL 14, and lz4
-- only in a server built --with-lz4, which is when `default_toast_compression` lists it among
-- its values (PostgreSQL documents it so); any other server keeps its default, pglz.
DO $$
BEGIN
    IF current_setting('server_version_num')::int >= 140000
       AND EXISTS (SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression' AND 'lz4' = ANY (enumvals)) THEN
        EXECUTE 'ALTER TABLE tem_dislocation_results ALTER COLUMN points SET COMPRESSION lz4';
        EXECUTE 'ALTER TABLE shard_outputs ALTER COLUMN output SET COMPRESSION lz4';
    ELSE
        RAISE NOTICE 'lz4 TOAST compression not available on this server: tem points and shard outputs keep pglz';
    END IF;
END;
$$;

-- repeatable: functions
-- Every SQL function of the queue, in its current text. This section runs after the numbered
-- ones and again whenever its text changes; CREATE OR REPLACE resets a function's SECURITY
-- DEFINER and search_path, so the block at the end gives them back every time.

-- Bookkeeping after tasks reach a terminal state (done or dead): release dependants,
-- count them on their jobs, finish jobs whose every task is terminal, and wake listeners.
-- Called in the same transaction as the state change.
-- Counts each task at most once (tasks.counted), so calling it twice (a retried completion,
-- or a worker role calling it on purpose) cannot inflate job counters or release merges early.
CREATE OR REPLACE FUNCTION slipline_after_terminal(p_finished bigint[]) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    booked bigint[];
BEGIN
    WITH mark AS (
        UPDATE tasks SET counted = true
        WHERE id = ANY (p_finished) AND state IN ('done', 'dead') AND NOT counted
        RETURNING id
    )
    SELECT coalesce(array_agg(id), '{}') INTO booked FROM mark;
    IF cardinality(booked) > 0 THEN
        PERFORM slipline_book(booked);
    END IF;
END;
$$;

-- The bookkeeping itself, for tasks the caller has just marked counted (slipline_after_terminal,
-- slipline_finish): not idempotent, so not callable by the worker role (see the block at the end).
-- A transaction that ends a job commits with the configured durability (synchronous_commit back
-- to its reset value, normally on), even after slipline_finish turned it off:
-- WAL is flushed in order, so that flush also makes every earlier completion durable.
-- Generic plans, forced: every statement here goes by primary key or task_deps' index, so
-- re-planning them per call only costs CPU. Left to itself (plan_cache_mode auto) PL/pgSQL kept
-- re-planning the three `= ANY (booked)` statements on every call — the generic plan's estimate
-- for an array of unknown length loses to a one-element custom plan — which cost 1.4 ms of
-- planning per completion at 1,000 workers (pg_stat_statements.track_planning, 4 December).
-- Job counters: on the job row, or in the job's counter slots (migration 15, which explains
-- why a job still ends exactly once); see there.
CREATE OR REPLACE FUNCTION slipline_book(booked bigint[]) RETURNS void
LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $$
DECLARE
    released int;
    finished_job record;
    per_slot record;
    filled record;
    slot_counted int;
    slot_tasks int;
    slot_announce boolean;
    open_slots int;
    filled_jobs bigint[] := '{}';
    announce_jobs bigint[] := '{}';
    row_jobs boolean := false;
BEGIN
    WITH counts AS (
        SELECT d.task_id, count(*)::int AS n
        FROM task_deps d WHERE d.depends_on = ANY (booked)
        GROUP BY d.task_id
    ), upd AS (
        UPDATE tasks t SET deps_pending = greatest(0, t.deps_pending - c.n)
        FROM counts c WHERE t.id = c.task_id
        RETURNING t.deps_pending
    )
    SELECT count(*) FILTER (WHERE deps_pending = 0) INTO released FROM upd;
    IF released > 0 THEN
        PERFORM pg_notify('slipline_tasks', '');
    END IF;

    -- One pass over the booked tasks by (job, slot). Jobs counted in slots (migration 15): one
    -- small row per slot, updated in (job, slot) order so that two batches never lock them
    -- crosswise; the job rows of the slots this booking filled are locked after every slot, in
    -- job order, for the same reason. Jobs counted on their own row (counter_slots = 0: retried
    -- jobs, `counter_slots=0`) are only noted here and counted after the slots, so the common
    -- booking (slots only) runs no statement for them.
    FOR per_slot IN
        SELECT t.job_id, CASE WHEN j.counter_slots > 0 THEN (t.id % j.counter_slots)::int ELSE 0 END AS slot,
               j.counter_slots,
               count(*) FILTER (WHERE t.state = 'done')::int AS n_done,
               count(*) FILTER (WHERE t.state = 'dead')::int AS n_dead
        FROM tasks t JOIN jobs j ON j.id = t.job_id
        WHERE t.id = ANY (booked) AND j.state = 'running'
        GROUP BY t.job_id, 2, j.counter_slots
        ORDER BY t.job_id, 2
    LOOP
        IF per_slot.counter_slots = 0 THEN
            row_jobs := true;
            CONTINUE;
        END IF;
        UPDATE job_counters c SET n_done = c.n_done + per_slot.n_done, n_dead = c.n_dead + per_slot.n_dead,
               progress_notified_at = CASE WHEN c.progress_notified_at > now() - interval '250 milliseconds' * per_slot.counter_slots
                                           THEN c.progress_notified_at ELSE now() END
        WHERE c.job_id = per_slot.job_id AND c.slot = per_slot.slot
        RETURNING c.n_done + c.n_dead, c.n_tasks, c.progress_notified_at = now() INTO slot_counted, slot_tasks, slot_announce;
        CONTINUE WHEN NOT FOUND;
        -- Filled by this booking: full now, not full before it.
        IF slot_counted >= slot_tasks AND slot_counted - per_slot.n_done - per_slot.n_dead < slot_tasks THEN
            filled_jobs := filled_jobs || per_slot.job_id;
        ELSIF slot_announce THEN
            announce_jobs := announce_jobs || per_slot.job_id;
        END IF;
    END LOOP;
    -- Jobs counted on their own row (counter_slots = 0; migration 15), if any was booked.
    IF row_jobs THEN
        FOR finished_job IN
            WITH per_job AS (
                SELECT t.job_id,
                       count(*) FILTER (WHERE t.state = 'done')::int AS n_done,
                       count(*) FILTER (WHERE t.state = 'dead')::int AS n_dead
                FROM tasks t JOIN jobs j0 ON j0.id = t.job_id
                WHERE t.id = ANY (booked) AND j0.counter_slots = 0
                GROUP BY t.job_id
            )
            -- Progress is announced at most every 250 ms per job (migration 14).
            UPDATE jobs j SET n_done = j.n_done + p.n_done, n_dead = j.n_dead + p.n_dead,
                              progress_notified_at = CASE WHEN j.progress_notified_at > now() - interval '250 milliseconds'
                                                          THEN j.progress_notified_at ELSE now() END
            FROM per_job p WHERE j.id = p.job_id AND j.state = 'running'
            RETURNING j.id, j.n_done, j.n_dead, j.n_tasks, j.progress_notified_at = now() AS announce
        LOOP
            IF finished_job.n_done + finished_job.n_dead >= finished_job.n_tasks THEN
                UPDATE jobs SET state = CASE WHEN finished_job.n_dead = 0 THEN 'done' ELSE 'failed' END,
                                finished_at = now()
                WHERE id = finished_job.id AND state = 'running';
                -- Back to the configured durability (the session's reset value, e.g. on or remote_apply).
                PERFORM set_config('synchronous_commit', (SELECT reset_val FROM pg_settings WHERE name = 'synchronous_commit'), true);
                PERFORM pg_notify('slipline_jobs', finished_job.id::text);
            ELSIF finished_job.announce THEN
                PERFORM pg_notify('slipline_progress', finished_job.id::text);
            END IF;
        END LOOP;
    END IF;

    IF cardinality(filled_jobs) > 0 THEN
        FOR filled IN
            SELECT f.job_id, count(*)::int AS n FROM unnest(filled_jobs) AS f(job_id) GROUP BY f.job_id ORDER BY f.job_id
        LOOP
            UPDATE jobs SET slots_open = slots_open - filled.n
            WHERE id = filled.job_id AND state = 'running'
            RETURNING slots_open INTO open_slots;
            CONTINUE WHEN NOT FOUND;    -- cancelled meanwhile
            IF open_slots <= 0 THEN
                -- Every slot is full, and every booking that filled one has committed (it held this
                -- row until then): the slots' sums are final. Fold them into the job row.
                WITH gone AS (
                    DELETE FROM job_counters WHERE job_id = filled.job_id RETURNING n_done, n_dead
                ), total AS (
                    SELECT coalesce(sum(n_done), 0)::int AS n_done, coalesce(sum(n_dead), 0)::int AS n_dead FROM gone
                )
                UPDATE jobs j SET n_done = j.n_done + total.n_done, n_dead = j.n_dead + total.n_dead,
                                  state = CASE WHEN j.n_dead + total.n_dead = 0 THEN 'done' ELSE 'failed' END,
                                  finished_at = now()
                FROM total WHERE j.id = filled.job_id;
                PERFORM set_config('synchronous_commit', (SELECT reset_val FROM pg_settings WHERE name = 'synchronous_commit'), true);
                PERFORM pg_notify('slipline_jobs', filled.job_id::text);
            ELSE
                announce_jobs := announce_jobs || filled.job_id;
            END IF;
        END LOOP;
    END IF;
    -- pg_notify folds repeats of one payload within a transaction.
    IF cardinality(announce_jobs) > 0 THEN
        PERFORM pg_notify('slipline_progress', a::text) FROM unnest(announce_jobs) AS a;
    END IF;
END;
$$;

-- Claims up to `p_limit` ready tasks for a worker, by priority, then fair_seq (round-robin
-- between jobs, see migration 8), then age, in one statement.
-- SKIP LOCKED lets concurrent claimers pass each other; MATERIALIZED keeps the planner from
-- re-evaluating the locking subquery. PL/pgSQL with custom plans, because a generic plan
-- (what a LANGUAGE sql function gets) cannot see the LIMIT and sorts the whole queue.
CREATE OR REPLACE FUNCTION slipline_claim(p_worker text, p_limit int, p_lease_s double precision)
RETURNS TABLE (task_id bigint, job_id bigint, kind text, role text, payload jsonb,
               attempt int, max_attempts int, job_input text, job_params jsonb)
LANGUAGE plpgsql SET plan_cache_mode = force_custom_plan AS $$
BEGIN
    RETURN QUERY
    WITH candidates AS MATERIALIZED (
        SELECT t.id FROM tasks t
        WHERE t.state IN ('queued', 'failed') AND t.deps_pending = 0 AND t.run_after <= now()
        ORDER BY t.priority DESC, t.fair_seq, t.id
        LIMIT p_limit
        FOR UPDATE SKIP LOCKED
    )
    UPDATE tasks t
    SET state = 'leased', worker_id = p_worker, attempts = t.attempts + 1,
        lease_expires_at = now() + make_interval(secs => p_lease_s), started_at = now()
    FROM candidates c, jobs j
    WHERE t.id = c.id AND j.id = t.job_id
    RETURNING t.id, t.job_id, t.kind, t.role, t.payload, t.attempts, t.max_attempts, j.input, j.params;
END;
$$;

-- Marks tasks done if (and only if) this worker still holds the lease of that attempt:
-- the fence that keeps a worker whose lease was reaped from writing results twice.
-- Returns the ids it accepted; the caller writes results for those and then calls
-- slipline_after_terminal(accepted) last, in the same transaction: the shared rows that
-- bookkeeping locks (the job's counters, a merge's deps_pending) are then held only for
-- the moment before COMMIT, so concurrent completions do not queue behind result writes.
CREATE OR REPLACE FUNCTION slipline_complete(p_worker text, p_ids bigint[], p_attempts int[])
RETURNS SETOF bigint
LANGUAGE plpgsql SET plan_cache_mode = force_custom_plan AS $$
DECLARE
    accepted bigint[];
BEGIN
    WITH upd AS (
        UPDATE tasks t
        SET state = 'done', finished_at = now(), lease_expires_at = NULL, error = NULL
        FROM unnest(p_ids, p_attempts) AS c(id, attempt)
        WHERE t.id = c.id AND t.attempts = c.attempt AND t.worker_id = p_worker AND t.state = 'leased'
        RETURNING t.id
    )
    SELECT coalesce(array_agg(upd.id), '{}') INTO accepted FROM upd;
    RETURN QUERY SELECT unnest(accepted);
END;
$$;

-- The fence of a completion (slipline_finish; slipline_finish_claim has the same statement
-- written out, to save a nested call per completion): marks done
-- (and counted, so booking needs no second row version) the tasks of p_ids that this worker
-- still holds for that attempt, and returns the ids it accepted. Booking them is the caller's
-- (where in its transaction decides how long the job row is locked). Internal only.
CREATE OR REPLACE FUNCTION slipline_mark_done(p_worker text, p_ids bigint[], p_attempts int[])
RETURNS bigint[]
LANGUAGE plpgsql AS $$
DECLARE
    accepted bigint[];
BEGIN
    WITH upd AS (
        UPDATE tasks t
        SET state = 'done', finished_at = now(), lease_expires_at = NULL, error = NULL, counted = true
        FROM unnest(p_ids, p_attempts) AS c(id, attempt)
        WHERE t.id = c.id AND t.attempts = c.attempt AND t.worker_id = p_worker AND t.state = 'leased'
        RETURNING t.id
    )
    SELECT coalesce(array_agg(upd.id), '{}') INTO accepted FROM upd;
    RETURN accepted;
END;
$$;

-- Completion in one call (what TaskQueue.complete uses; slipline_complete + slipline_after_terminal
-- remain for workers of an older version): the caller has already written the results of
-- every task in p_ids in this transaction; the fenced tasks are marked done and counted in one
-- row version (no second UPDATE for `counted`) and booked last, so the job row's lock is held
-- only for the moment before COMMIT. Returns the ids accepted; if that is not all of p_ids the
-- caller rolls back (the refused tasks' results must not stay) and repeats with the accepted.
--
-- The commit is asynchronous (synchronous_commit off) unless it ends a job (slipline_book): a
-- completion no longer waits for its WAL flush while holding the job row, which serialised
-- every completion of a job on the flush. Nothing is lost or done twice by it: a server crash
-- can only lose the latest completions whole (results and state in one transaction, WAL
-- replayed in order, never a later one without an earlier), so those tasks are again leased to
-- their worker, which no longer holds them: its next heartbeat releases them (or the lease
-- expires) and they run again, fenced as always. A job's end — what `ctl wait` and users act
-- on — is durable, and its flush makes every earlier completion durable too.
CREATE OR REPLACE FUNCTION slipline_finish(p_worker text, p_ids bigint[], p_attempts int[])
RETURNS SETOF bigint
LANGUAGE plpgsql AS $$
DECLARE
    accepted bigint[];
BEGIN
    PERFORM set_config('synchronous_commit', 'off', true);
    accepted := slipline_mark_done(p_worker, p_ids, p_attempts);
    IF cardinality(accepted) = cardinality(p_ids) THEN
        PERFORM slipline_book(accepted);
    END IF;
    RETURN QUERY SELECT unnest(accepted);
END;
$$;

-- slipline_finish with its arguments staged in transaction-local settings (slipline.finish_worker,
-- slipline.finish_ids, slipline.finish_attempts, set with parameters by set_config), so that the
-- caller can send it and COMMIT as one constant script in one round trip: the job row it locks
-- is released by the same server call that took it, never held across a client's wake-up. A
-- refusal raises SQLSTATE SL001 (the script stops before COMMIT; the caller rolls back).
CREATE OR REPLACE FUNCTION slipline_finish_staged() RETURNS int
LANGUAGE plpgsql AS $$
DECLARE
    ids bigint[] := current_setting('slipline.finish_ids')::bigint[];
    n int;
BEGIN
    SELECT count(*) INTO n
    FROM slipline_finish(current_setting('slipline.finish_worker'), ids, current_setting('slipline.finish_attempts')::int[]);
    IF n < cardinality(ids) THEN
        RAISE EXCEPTION 'completion refused: % of % task(s) no longer leased to this worker', cardinality(ids) - n, cardinality(ids)
            USING ERRCODE = 'SL001';
    END IF;
    RETURN n;
END;
$$;

-- Completion and the next claim in one call and one transaction (issue 14 item 5): what a
-- one-slot worker does between two tasks, so it costs one round trip, one commit and one
-- plan-cached function call instead of two transactions of several statements. The caller
-- has written the results of every task in p_ids in the same transaction (a pipeline: the
-- results statements and this call, one Sync). The completion is fenced exactly like
-- slipline_finish: if any task of p_ids is no longer leased to this worker for that attempt,
-- SQLSTATE SL001 aborts the whole transaction (results, completion and claim), and the caller
-- repeats with the tasks it still holds. p_ids may be empty (the first claim).
--
-- Order inside: fence and mark done, claim, then book last, so the job row's lock is held
-- from the counter update to COMMIT only. Asynchronous commit like slipline_finish (a job's
-- end is durable): a claim lost with the latest WAL in a server crash leaves its task queued,
-- and the worker's completion of it is then refused by the fence (the task is not leased to it
-- for that attempt), so the task runs again and is recorded once.
--
-- The claim for one task (the common case) has a constant LIMIT 1, so its cached generic plan
-- walks tasks_claimable like a custom one and nothing is re-planned per call; a larger limit
-- goes through slipline_claim (custom plans, see there).
CREATE OR REPLACE FUNCTION slipline_finish_claim(p_worker text, p_ids bigint[], p_attempts int[],
                                                 p_limit int, p_lease_s double precision)
RETURNS TABLE (task_id bigint, job_id bigint, kind text, role text, payload jsonb,
               attempt int, max_attempts int, job_input text, job_params jsonb)
LANGUAGE plpgsql AS $$
DECLARE
    accepted bigint[];
    ignored text;
BEGIN
    -- An assignment, not PERFORM: a simple expression skips a statement's executor start.
    ignored := set_config('synchronous_commit', 'off', true);
    IF cardinality(p_ids) > 0 THEN
        -- slipline_mark_done's fence, written out: one statement instead of a nested function call.
        WITH upd AS (
            UPDATE tasks t
            SET state = 'done', finished_at = now(), lease_expires_at = NULL, error = NULL, counted = true
            FROM unnest(p_ids, p_attempts) AS c(id, attempt)
            WHERE t.id = c.id AND t.attempts = c.attempt AND t.worker_id = p_worker AND t.state = 'leased'
            RETURNING t.id
        )
        SELECT coalesce(array_agg(upd.id), '{}') INTO accepted FROM upd;
        IF cardinality(accepted) < cardinality(p_ids) THEN
            RAISE EXCEPTION 'completion refused: % of % task(s) no longer leased to this worker',
                cardinality(p_ids) - cardinality(accepted), cardinality(p_ids) USING ERRCODE = 'SL001';
        END IF;
    END IF;
    IF p_limit = 1 THEN
        RETURN QUERY
        WITH candidates AS MATERIALIZED (
            SELECT t.id FROM tasks t
            WHERE t.state IN ('queued', 'failed') AND t.deps_pending = 0 AND t.run_after <= now()
            ORDER BY t.priority DESC, t.fair_seq, t.id
            LIMIT 1
            FOR UPDATE SKIP LOCKED
        )
        UPDATE tasks t
        SET state = 'leased', worker_id = p_worker, attempts = t.attempts + 1,
            lease_expires_at = now() + make_interval(secs => p_lease_s), started_at = now()
        FROM candidates c, jobs j
        WHERE t.id = c.id AND j.id = t.job_id
        RETURNING t.id, t.job_id, t.kind, t.role, t.payload, t.attempts, t.max_attempts, j.input, j.params;
    ELSIF p_limit > 1 THEN
        RETURN QUERY SELECT * FROM slipline_claim(p_worker, p_limit, p_lease_s);
    END IF;
    IF cardinality(accepted) > 0 THEN
        PERFORM slipline_book(accepted);
    END IF;
END;
$$;

-- Planner statistics of a job's results tables, refreshed in the transaction that ends the job
-- (called after slipline_finish_claim by a completion whose outputs name tables): a job's rows
-- are bulk-inserted within minutes and autovacuum analyzes a table only once 10 % of it has
-- changed, so as the tables grow the newest job is never in the statistics, and the planner,
-- taking it for a few rows, joins the tem_dislocations view by a nested loop over all of them
-- (over 8 minutes for one count on 1.3 M rows; 0.29 s after ANALYZE). Inside the transaction,
-- so the job's end is announced only once its statistics are in. Never fails the completion.
CREATE OR REPLACE FUNCTION slipline_refresh_statistics(p_jobs bigint[], p_tables text[]) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    t text;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM jobs WHERE id = ANY (p_jobs) AND state IN ('done', 'failed')) THEN
        RETURN;
    END IF;
    FOREACH t IN ARRAY p_tables LOOP
        BEGIN
            EXECUTE format('ANALYZE %I', t);
        EXCEPTION WHEN OTHERS THEN
            RAISE NOTICE 'statistics of % not refreshed: %', t, SQLERRM;
        END;
    END LOOP;
END;
$$;

-- Records a failed attempt: retried after a capped exponential backoff with jitter, or dead
-- (error kept) once its errors (attempts that did not lose their lease) reach max_attempts.
-- Fenced like completion.
CREATE OR REPLACE FUNCTION slipline_fail(p_worker text, p_id bigint, p_attempt int, p_message text)
RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    new_state text;
BEGIN
    UPDATE tasks t
    SET state = CASE WHEN t.attempts - t.lost_leases >= t.max_attempts THEN 'dead' ELSE 'failed' END,
        error = p_message,
        lease_expires_at = NULL,
        finished_at = CASE WHEN t.attempts - t.lost_leases >= t.max_attempts THEN now() END,
        run_after = now() + make_interval(secs =>
            least(300.0, j.retry_base_s * power(2, greatest(0, t.attempts - t.lost_leases - 1))) * (0.5 + random() / 2))
    FROM jobs j
    WHERE t.id = p_id AND j.id = t.job_id AND t.attempts = p_attempt
      AND t.worker_id = p_worker AND t.state = 'leased'
    RETURNING t.state INTO new_state;
    IF new_state = 'dead' THEN
        PERFORM slipline_after_terminal(ARRAY[p_id]);
    ELSIF new_state = 'failed' THEN
        PERFORM pg_notify('slipline_tasks', '');
    END IF;
    RETURN new_state;
END;
$$;

-- Requeues leased tasks whose worker is gone (`p_ids`, locked by the caller; `p_reason` a
-- format() text with %s for the worker): a lost lease,
-- not an error. Each counts one lost lease against the job's max_lost_leases; a task out of
-- that budget becomes dead. Returns how many were requeued and how many died.
CREATE OR REPLACE FUNCTION slipline_requeue_lost(p_ids bigint[], p_reason text, OUT requeued int, OUT died int)
LANGUAGE plpgsql AS $$
DECLARE
    dead_ids bigint[];
BEGIN
    WITH upd AS (
        UPDATE tasks t
        SET state = CASE WHEN t.lost_leases + 1 >= j.max_lost_leases THEN 'dead' ELSE 'queued' END,
            lost_leases = t.lost_leases + 1,
            error = format(p_reason, coalesce(t.worker_id, '?'))
                    || format(' (lost lease %s of %s)', t.lost_leases + 1, j.max_lost_leases),
            finished_at = CASE WHEN t.lost_leases + 1 >= j.max_lost_leases THEN now() END,
            run_after = now(), lease_expires_at = NULL
        FROM jobs j
        WHERE t.id = ANY (p_ids) AND j.id = t.job_id AND t.state = 'leased'
        RETURNING t.id, t.state
    )
    SELECT count(*) FILTER (WHERE state = 'queued')::int,
           coalesce(array_agg(id) FILTER (WHERE state = 'dead'), '{}')
    INTO requeued, dead_ids FROM upd;
    died := cardinality(dead_ids);
    IF requeued + died > 0 THEN
        UPDATE queue_counters SET value = value + requeued + died WHERE name = 'leases_reaped';
    END IF;
    IF died > 0 THEN
        PERFORM slipline_after_terminal(dead_ids);
    END IF;
    IF requeued > 0 THEN
        PERFORM pg_notify('slipline_tasks', '');
    END IF;
END;
$$;

-- Requeues tasks whose lease expired (their worker died or lost the network), on the lost-lease
-- budget. Returns how many were requeued and how many died.
CREATE OR REPLACE FUNCTION slipline_reap_expired(OUT requeued int, OUT died int)
LANGUAGE plpgsql AS $$
DECLARE
    expired bigint[];
BEGIN
    SELECT coalesce(array_agg(id), '{}') INTO expired FROM (
        SELECT id FROM tasks
        WHERE state = 'leased' AND lease_expires_at < now()
        FOR UPDATE SKIP LOCKED
    ) e;
    SELECT r.requeued, r.died INTO requeued, died FROM slipline_requeue_lost(expired, 'lease expired: worker %s stopped renewing it') r;
END;
$$;

-- A worker starting on `p_host` found that the process of an earlier worker there (`p_gone`,
-- same host, its pid no longer alive) is gone: its leases are lost now rather than at expiry,
-- and it is marked lost. Returns how many tasks were requeued (or died of the budget).
CREATE OR REPLACE FUNCTION slipline_release_gone_worker(p_gone text, p_host text) RETURNS int
LANGUAGE plpgsql AS $$
DECLARE
    held bigint[];
    r record;
BEGIN
    UPDATE workers SET state = 'lost' WHERE id = p_gone AND host = p_host AND state IN ('running', 'stopping', 'lost');
    IF NOT FOUND THEN
        RETURN 0;
    END IF;
    SELECT coalesce(array_agg(id), '{}') INTO held FROM (
        SELECT id FROM tasks WHERE worker_id = p_gone AND state = 'leased' FOR UPDATE
    ) h;
    SELECT * INTO r FROM slipline_requeue_lost(held, 'lease lost: worker %s died (a worker restarted on its host)');
    RETURN r.requeued + r.died;
END;
$$;

-- Gives back tasks a worker holds but will not run (shutdown, or claims it lost track of);
-- the attempt is not counted.
CREATE OR REPLACE FUNCTION slipline_release(p_worker text, p_ids bigint[]) RETURNS int
LANGUAGE plpgsql AS $$
DECLARE
    n int;
BEGIN
    UPDATE tasks SET state = 'queued', attempts = greatest(0, attempts - 1),
                     worker_id = NULL, lease_expires_at = NULL
    WHERE id = ANY (p_ids) AND worker_id = p_worker AND state = 'leased';
    GET DIAGNOSTICS n = ROW_COUNT;
    IF n > 0 THEN
        PERFORM pg_notify('slipline_tasks', '');
    END IF;
    RETURN n;
END;
$$;

-- Cancels a job: every unfinished task becomes cancelled (a worker still running one finds
-- its lease gone at completion and discards the result).
CREATE OR REPLACE FUNCTION slipline_cancel(p_job bigint) RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE jobs SET state = 'cancelled', finished_at = now()
    WHERE id = p_job AND state IN ('queued', 'running');
    IF NOT FOUND THEN
        RETURN false;
    END IF;
    UPDATE tasks SET state = 'cancelled', lease_expires_at = NULL, finished_at = now()
    WHERE job_id = p_job AND state IN ('queued', 'leased', 'failed');
    PERFORM pg_notify('slipline_jobs', p_job::text);
    RETURN true;
END;
$$;

-- Retries a finished job: dead and cancelled tasks are queued again with fresh attempts, and
-- so is every done task that depends on one of them (its merge), transitively. Returns how
-- many tasks it queued (0 for a done job, which stays done), -1 if the job has not ended.
-- A retried task is booked again when it ends anew (counted = false).
CREATE OR REPLACE FUNCTION slipline_retry(p_job bigint) RETURNS int
LANGUAGE plpgsql AS $$
DECLARE
    n int;
    more int;
BEGIN
    -- A pruned job lost its done tasks: nothing to retry from.
    PERFORM 1 FROM jobs WHERE id = p_job AND state IN ('failed', 'cancelled', 'done') AND pruned_at IS NULL FOR UPDATE;
    IF NOT FOUND THEN
        RETURN -1;
    END IF;
    UPDATE tasks SET state = 'queued', attempts = 0, lost_leases = 0, error = NULL, run_after = now(),
                     worker_id = NULL, lease_expires_at = NULL, finished_at = NULL, counted = false
    WHERE job_id = p_job AND state IN ('dead', 'cancelled');
    GET DIAGNOSTICS n = ROW_COUNT;
    LOOP
        UPDATE tasks t SET state = 'queued', attempts = 0, lost_leases = 0, error = NULL, run_after = now(),
                           worker_id = NULL, finished_at = NULL, counted = false
        WHERE t.job_id = p_job AND t.state = 'done' AND EXISTS (
            SELECT 1 FROM task_deps d JOIN tasks u ON u.id = d.depends_on
            WHERE d.task_id = t.id AND u.state = 'queued');
        GET DIAGNOSTICS more = ROW_COUNT;
        EXIT WHEN more = 0;
        n := n + more;
    END LOOP;
    -- Nothing failed or was cancelled (a done job): a no-op that leaves the job as it is.
    -- (A job cancelled before it was planned has no tasks and goes back to be planned.)
    IF n = 0 AND EXISTS (SELECT 1 FROM jobs WHERE id = p_job AND n_tasks > 0) THEN
        RETURN 0;
    END IF;
    UPDATE tasks t SET deps_pending = (
        SELECT count(*) FROM task_deps d JOIN tasks u ON u.id = d.depends_on
        WHERE d.task_id = t.id AND u.state NOT IN ('done', 'dead'))
    WHERE t.job_id = p_job;
    -- A retried job counts on its own row (migration 15): its slots' task counts no longer
    -- match what is left to run, and the counts are recomputed from the tasks anyway.
    DELETE FROM job_counters WHERE job_id = p_job;
    UPDATE jobs j SET
        state = CASE WHEN j.n_tasks = 0 THEN 'queued' ELSE 'running' END,
        finished_at = NULL, error = NULL, counter_slots = 0, slots_open = 0,
        n_done = (SELECT count(*) FROM tasks WHERE job_id = p_job AND state = 'done'),
        n_dead = (SELECT count(*) FROM tasks WHERE job_id = p_job AND state = 'dead')
    WHERE j.id = p_job;
    PERFORM pg_notify('slipline_tasks', '');
    RETURN n;
END;
$$;

-- Results outlive their tasks: drops every foreign key from a results table (one with
-- `task_id` and `job_id`, the contract of ResultRows) onto tasks, whose ON DELETE CASCADE
-- would delete results with pruned tasks. Their job_id keys stay. Returns how many it dropped.
CREATE OR REPLACE FUNCTION slipline_detach_results() RETURNS int
LANGUAGE plpgsql AS $$
DECLARE
    fk record;
    n int := 0;
BEGIN
    FOR fk IN
        SELECT c.conrelid::regclass AS rel, c.conname FROM pg_constraint c
        WHERE c.contype = 'f' AND c.confrelid = 'tasks'::regclass
          AND c.connamespace = current_schema()::regnamespace
          AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.conrelid AND a.attname = 'job_id' AND NOT a.attisdropped)
          AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.conrelid AND a.attname = 'task_id' AND NOT a.attisdropped)
    LOOP
        EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', fk.rel, fk.conname);
        n := n + 1;
    END LOOP;
    RETURN n;
END;
$$;

-- Retention: deletes up to `p_batch` tasks of jobs that ended more than `p_older_than_s`
-- seconds ago, keeping their dead tasks (`ctl status JOB` lists those) and every results row;
-- a job whose tasks are all gone is marked pruned. Small batches keep each transaction and
-- its locks short; call until it returns 0. Returns how many tasks it deleted.
CREATE OR REPLACE FUNCTION slipline_prune(p_older_than_s double precision, p_batch int) RETURNS int
LANGUAGE plpgsql AS $$
DECLARE
    n int;
BEGIN
    PERFORM slipline_detach_results();
    WITH ended AS (
        SELECT id FROM jobs
        WHERE state IN ('done', 'failed', 'cancelled') AND pruned_at IS NULL
          AND finished_at < now() - make_interval(secs => p_older_than_s)
    ), doomed AS (
        SELECT t.id FROM tasks t JOIN ended e ON e.id = t.job_id
        WHERE t.state <> 'dead' LIMIT p_batch
    )
    DELETE FROM tasks t USING doomed d WHERE t.id = d.id;
    GET DIAGNOSTICS n = ROW_COUNT;
    IF n < p_batch THEN
        -- A cancelled job keeps its counter slots (migration 15) so its progress stays
        -- readable; once it is pruned they are folded into the job row and removed.
        WITH folded AS (
            DELETE FROM job_counters c USING jobs j
            WHERE c.job_id = j.id AND j.state IN ('done', 'failed', 'cancelled') AND j.pruned_at IS NULL
              AND j.finished_at < now() - make_interval(secs => p_older_than_s)
              AND NOT EXISTS (SELECT 1 FROM tasks t WHERE t.job_id = j.id AND t.state <> 'dead')
            RETURNING c.job_id, c.n_done, c.n_dead
        )
        UPDATE jobs j SET n_done = j.n_done + f.n_done, n_dead = j.n_dead + f.n_dead
        FROM (SELECT job_id, sum(n_done)::int AS n_done, sum(n_dead)::int AS n_dead
              FROM folded GROUP BY job_id) f
        WHERE j.id = f.job_id;
        UPDATE jobs j SET pruned_at = now()
        WHERE j.state IN ('done', 'failed', 'cancelled') AND j.pruned_at IS NULL
          AND j.finished_at < now() - make_interval(secs => p_older_than_s)
          AND NOT EXISTS (SELECT 1 FROM tasks t WHERE t.job_id = j.id AND t.state <> 'dead');
    END IF;
    RETURN n;
END;
$$;

-- The worker's direct writes to `workers` and `tasks` (heartbeat, registration) as functions.
--
-- A worker's lease renewal: records its heartbeat, extends the leases of the tasks it holds
-- (`p_held`), and answers which of them are no longer its own (`lost`): their job was
-- cancelled, or the lease was reaped or released by a successor on its host. The worker stops
-- those it is running and drops those it has not started, instead of running them to the end
-- only to have the completion refused. Tasks leased to it that it does not know of (a claim
-- whose reply was lost with the connection) are released (`released`, how many).
CREATE OR REPLACE FUNCTION slipline_renew_leases(p_worker text, p_lease_s double precision, p_held bigint[],
                                                 OUT released int, OUT lost bigint[])
LANGUAGE plpgsql AS $$
DECLARE
    renewed bigint[];
    orphans bigint[];
BEGIN
    UPDATE workers SET heartbeat_at = now(), state = CASE WHEN state = 'lost' THEN 'running' ELSE state END
    WHERE id = p_worker;
    WITH r AS (
        UPDATE tasks SET lease_expires_at = now() + make_interval(secs => p_lease_s)
        WHERE worker_id = p_worker AND state = 'leased' AND id = ANY (p_held)
        RETURNING id)
    SELECT coalesce(array_agg(id), '{}') INTO renewed FROM r;
    SELECT coalesce(array_agg(h ORDER BY h), '{}') INTO lost
    FROM (SELECT unnest(p_held) EXCEPT SELECT unnest(renewed)) AS g(h);
    -- Leased to this worker but unknown to it: a claim whose reply was lost; give them back.
    SELECT coalesce(array_agg(id), '{}') INTO orphans FROM tasks
    WHERE worker_id = p_worker AND state = 'leased' AND id <> ALL (p_held);
    released := slipline_release(p_worker, orphans);
END;
$$;

-- The heartbeat of workers (and `ctl bench workers`' simulated ones) that do not ask which
-- leases they lost: the renewal above, returning the orphans released.
CREATE OR REPLACE FUNCTION slipline_heartbeat(p_worker text, p_lease_s double precision, p_held bigint[])
RETURNS int
LANGUAGE plpgsql AS $$
BEGIN
    RETURN (SELECT released FROM slipline_renew_leases(p_worker, p_lease_s, p_held));
END;
$$;

CREATE OR REPLACE FUNCTION slipline_register_worker(p_id text, p_host text, p_pid int, p_slots int) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO workers (id, host, pid, slots) VALUES (p_id, p_host, p_pid, p_slots)
    ON CONFLICT (id) DO UPDATE SET state = 'running', heartbeat_at = now(), stopped_at = NULL;
$$;

CREATE OR REPLACE FUNCTION slipline_set_worker_state(p_id text, p_state text) RETURNS void
LANGUAGE sql AS $$
    UPDATE workers SET state = p_state, stopped_at = CASE WHEN p_state = 'stopped' THEN now() END
    WHERE id = p_id;
$$;

-- Grants the worker role INSERT and DELETE on every results table: a table with both
-- `task_id` and `job_id` columns (the contract of ResultRows). Idempotent; `ctl db migrate`
-- calls it whenever it applied a section, so results tables added later are covered.
CREATE OR REPLACE FUNCTION slipline_grant_results() RETURNS int
LANGUAGE plpgsql AS $$
DECLARE
    t record;
    n int := 0;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'slipline_worker') THEN
        RETURN 0;
    END IF;
    FOR t IN
        SELECT c.oid::regclass AS rel FROM pg_class c
        WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p')
          AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'task_id' AND NOT a.attisdropped)
          AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'job_id' AND NOT a.attisdropped)
    LOOP
        EXECUTE format('GRANT SELECT, INSERT, DELETE ON %s TO slipline_worker', t.rel);
        n := n + 1;
    END LOOP;
    RETURN n;
END;
$$;

-- The worker's operations run as the schema owner, on this schema only, and only the worker
-- role (not PUBLIC) may call them. Without the role (a migrating user without CREATEROLE, see
-- migration 5) they keep PostgreSQL's defaults.
DO $$
DECLARE
    f text;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'slipline_worker') THEN
        RAISE NOTICE 'slipline_worker role does not exist: worker operations keep default privileges';
        RETURN;
    END IF;
    FOREACH f IN ARRAY ARRAY[
        'slipline_claim(text, int, double precision)',
        'slipline_complete(text, bigint[], int[])',
        'slipline_finish(text, bigint[], int[])',
        'slipline_finish_staged()',
        'slipline_finish_claim(text, bigint[], int[], int, double precision)',
        'slipline_refresh_statistics(bigint[], text[])',
        'slipline_after_terminal(bigint[])',
        'slipline_fail(text, bigint, int, text)',
        'slipline_release(text, bigint[])',
        'slipline_release_gone_worker(text, text)',
        'slipline_heartbeat(text, double precision, bigint[])',
        'slipline_renew_leases(text, double precision, bigint[])',
        'slipline_register_worker(text, text, int, int)',
        'slipline_set_worker_state(text, text)'
    ] LOOP
        EXECUTE format('ALTER FUNCTION %s SECURITY DEFINER SET search_path = %I, pg_temp', f, current_schema());
        EXECUTE format('REVOKE EXECUTE ON FUNCTION %s FROM PUBLIC', f);
        EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO slipline_worker', f);
    END LOOP;
    -- Not idempotent (it trusts its caller to have marked the tasks counted): internal only.
    REVOKE EXECUTE ON FUNCTION slipline_book(bigint[]) FROM PUBLIC;
    REVOKE EXECUTE ON FUNCTION slipline_mark_done(text, bigint[], int[]) FROM PUBLIC;
    PERFORM slipline_grant_results();
EXCEPTION WHEN insufficient_privilege THEN
    RAISE NOTICE 'slipline_worker role not set up: %', SQLERRM;
END;
$$;
