import Coordinator
import Shared
import Worker

/// The task kinds this build knows: planners for coordinators, runners for workers.
enum Registry {
    static var planners: [any JobPlanner] { [BenchPlanner(), BCDIPlanner(), TEMPlanner(), STEM4DPlanner()] }
    static var runners: [any TaskRunner] { [BenchRunner(), BCDIRunner(), TEMRunner(), STEM4DRunner()] }
}
