import Foundation

extension InMemoryTaskStore {
    public func shardOutputs(job: Int64) throws -> [ShardRecord] {
        locked {
            var outputs: [Int64: String] = [:]
            for row in storage.results["shard_outputs"] ?? [] where row.jobId == job {
                if let output = row.values["output"] ?? nil { outputs[row.taskId] = output }
            }
            return tasks(of: job).filter { $0.role == .shard }.map {
                ShardRecord(taskId: $0.id, state: $0.state, payload: $0.payload, output: outputs[$0.id])
            }
        }
    }

    public func dependencyOutputs(task: Int64) throws -> [ShardRecord] {
        locked {
            guard let waiting = storage.tasks[task] else { return [] }
            var outputs: [Int64: String] = [:]
            for row in storage.results["shard_outputs"] ?? [] where row.jobId == waiting.jobId {
                if let output = row.values["output"] ?? nil { outputs[row.taskId] = output }
            }
            return waiting.dependsOn.sorted().compactMap { storage.tasks[$0] }.map {
                ShardRecord(taskId: $0.id, state: $0.state, role: $0.role, payload: $0.payload, output: outputs[$0.id])
            }
        }
    }

    /// The rows of a results table, in the order they were written (for tests).
    public func rows(in table: String) -> [ResultRecord] {
        locked { storage.results[table] ?? [] }
    }

    /// `TaskQueue.writeResults`: every row checked against its table first (a bad one changes
    /// nothing), then each task's earlier rows deleted and its new rows added. Lock held.
    func writeResults(_ finished: [(task: ClaimedTask, output: TaskOutput)]) throws {
        for (_, output) in finished {
            for table in output.tables where catalog.tables[table] == nil {
                throw ResultTableError.unknownTable(table: table)
            }
            for rows in output.results {
                guard let columns = catalog.tables[rows.table] else { throw ResultTableError.unknownTable(table: rows.table) }
                try rows.validate(against: columns)
                for (index, column) in rows.columns.enumerated() where columns[column] == "jsonb" || columns[column] == "json" {
                    for row in rows.rows {
                        guard let text = row[index]?.pgText else { continue }
                        if (try? JSONSerialization.jsonObject(with: Data(text.utf8), options: .fragmentsAllowed)) == nil {
                            throw DatabaseError.statementFailed(
                                sqlstate: "22P02", message: "invalid input syntax for type json (\(rows.table).\(column)): \(text.prefix(60))")
                        }
                    }
                }
            }
        }
        var clear: [String: Set<Int64>] = [:]
        for (task, output) in finished {
            for table in output.tables { clear[table, default: []].insert(task.id) }
        }
        for (table, ids) in clear {
            storage.results[table]?.removeAll { ids.contains($0.taskId) }
        }
        for (task, output) in finished {
            for rows in output.results {
                for row in rows.rows {
                    var values: [String: String?] = [:]
                    for (index, column) in rows.columns.enumerated() { values[column] = row[index]?.pgText }
                    storage.results[rows.table, default: []].append(ResultRecord(taskId: task.id, jobId: task.jobId, values: values))
                }
            }
        }
    }
}
