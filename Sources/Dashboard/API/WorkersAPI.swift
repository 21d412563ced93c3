import Hummingbird

/// `/api/workers`: every registered worker, the tasks it holds, and its last heartbeat.
struct WorkersAPI {
    let database: DashboardDatabase

    func register(on router: Router<DashboardContext>) {
        router.get("/api/workers") { _, _ -> Response in
            let json = try await JSONResponse.query(database, """
                SELECT json_build_object('workers', coalesce(json_agg(w ORDER BY w.alive DESC, w.heartbeat_at DESC), '[]'))
                FROM (
                    SELECT w.id, w.host, w.pid, w.slots, w.state, w.started_at, w.heartbeat_at,
                           round(extract(epoch from now() - w.heartbeat_at)::numeric, 1) AS heartbeat_age_s,
                           w.state IN ('running', 'stopping') AND w.heartbeat_at > now() - interval '2 minutes' AS alive,
                           coalesce((SELECT json_agg(json_build_object('task_id', t.task_id, 'job_id', t.job_id, 'kind', t.kind,
                                                                       'lease_expires_at', t.lease_expires_at) ORDER BY t.task_id)
                                     FROM tasks_overview t WHERE t.worker = w.id AND t.state = 'leased'), '[]') AS holds
                    FROM workers w
                    ORDER BY w.heartbeat_at DESC LIMIT 500
                ) w
                """, [])
            return JSONResponse.raw(json ?? #"{"workers":[]}"#)
        }
    }
}
